/**
 * A minimal DER reader: just enough to walk an X.509 certificate to its validity and extensions, which
 * node:crypto's `X509Certificate` does not expose. Definite lengths only (DER forbids the indefinite form);
 * every element must lie inside its parent. Any violation throws {@link DerError}.
 */

export class DerError extends Error {
  override readonly name = 'DerError';
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
} as const;

/** One TLV: its tag byte and the bytes of its value. */
export interface DerElement {
  readonly tag: number;
  readonly value: Buffer;
}

const MAX_LENGTH_BYTES = 4;

function readLength(bytes: Buffer, offset: number): { length: number; next: number } {
  const first = bytes[offset];
  if (first === undefined) {
    throw new DerError('truncated length');
  }
  if (first < 0x80) {
    return { length: first, next: offset + 1 };
  }
  const count = first & 0x7f;
  if (count === 0 || count > MAX_LENGTH_BYTES || offset + 1 + count > bytes.length) {
    throw new DerError('unsupported or truncated length');
  }
  let length = 0;
  for (let i = 1; i <= count; i++) {
    length = length * 256 + (bytes[offset + i] ?? 0);
  }
  return { length, next: offset + 1 + count };
}

/** Reads the element starting at `offset`; returns it and the offset just past it. */
export function readElement(bytes: Buffer, offset: number): { element: DerElement; next: number } {
  const tag = bytes[offset];
  if (tag === undefined || (tag & 0x1f) === 0x1f) {
    throw new DerError('truncated or multi-byte tag');
  }
  const { length, next } = readLength(bytes, offset + 1);
  const end = next + length;
  if (end > bytes.length) {
    throw new DerError('element runs past its parent');
  }
  return { element: { tag, value: bytes.subarray(next, end) }, next: end };
}

/** The children of a constructed element (a SEQUENCE, SET or explicit context tag). */
export function children(element: DerElement): DerElement[] {
  const out: DerElement[] = [];
  let offset = 0;
  while (offset < element.value.length) {
    const { element: child, next } = readElement(element.value, offset);
    out.push(child);
    offset = next;
  }
  return out;
}

/** Parses `bytes` as exactly one element, with nothing after it. */
export function parseDer(bytes: Buffer): DerElement {
  const { element, next } = readElement(bytes, 0);
  if (next !== bytes.length) {
    throw new DerError('trailing bytes after the element');
  }
  return element;
}

/** Expects `element` to have `tag`; returns it. */
export function expectTag(element: DerElement | undefined, tag: number, what: string): DerElement {
  if (element?.tag !== tag) {
    throw new DerError(`expected ${what}`);
  }
  return element;
}

/** Dotted text of an OBJECT IDENTIFIER's value bytes (base-128 arcs; the first byte holds two arcs). */
export function oidToString(value: Buffer): string {
  const arcs: number[] = [];
  let arc = 0;
  for (const byte of value) {
    arc = arc * 128 + (byte & 0x7f);
    if (arc > Number.MAX_SAFE_INTEGER / 128) {
      throw new DerError('OID arc too large');
    }
    if ((byte & 0x80) === 0) {
      arcs.push(arc);
      arc = 0;
    }
  }
  const first = arcs.shift();
  if (first === undefined || arc !== 0) {
    throw new DerError('malformed OID');
  }
  const top = Math.min(Math.floor(first / 40), 2);
  return [top, first - top * 40, ...arcs].join('.');
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** A UTCTime (RFC 5280 §4.1.2.5.1: YY ≥ 50 is 19YY) or GeneralizedTime, both in their DER `…Z` form. */
export function parseTime(element: DerElement | undefined): Date {
  if (element === undefined) {
    throw new DerError('missing time');
  }
  const text = element.value.toString('ascii');
  const match = (element.tag === TAG.utcTime ? UTC_TIME : GENERALIZED_TIME).exec(text);
  if (match === null || (element.tag !== TAG.utcTime && element.tag !== TAG.generalizedTime)) {
    throw new DerError('malformed time');
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fullYear = element.tag === TAG.utcTime ? (year >= 50 ? 1900 + year : 2000 + year) : year;
  return new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
}
