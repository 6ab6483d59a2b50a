/**
 * Just enough DER (ITU-T X.690) to write a PKCS#10 certification request: definite lengths, the universal types
 * a CSR uses, and context-specific constructed tags.
 */

const TAG = {
  integer: 0x02,
  bitString: 0x03,
  objectIdentifier: 0x06,
  utf8String: 0x0c,
  sequence: 0x30,
  set: 0x31,
} as const;

function length(n: number): Buffer {
  if (n < 0x80) {
    return Buffer.of(n);
  }
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) {
    bytes.unshift(rest % 256);
  }
  return Buffer.of(0x80 | bytes.length, ...bytes);
}

/** One TLV: tag, definite length, contents. */
export function tlv(tag: number, contents: Uint8Array): Buffer {
  return Buffer.concat([Buffer.of(tag), length(contents.length), contents]);
}

/** SEQUENCE of already encoded elements. */
export function sequence(...elements: readonly Uint8Array[]): Buffer {
  return tlv(TAG.sequence, Buffer.concat(elements));
}

/** SET OF already encoded elements, sorted by their encodings as DER requires. */
export function setOf(...elements: readonly Uint8Array[]): Buffer {
  const sorted = [...elements].map((element) => Buffer.from(element)).sort((a, b) => Buffer.compare(a, b));
  return tlv(TAG.set, Buffer.concat(sorted));
}

/** A small non-negative INTEGER. */
export function smallInteger(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0x7f) {
    throw new RangeError('smallInteger takes 0..127');
  }
  return tlv(TAG.integer, Buffer.of(value));
}

/** OBJECT IDENTIFIER from dotted text, e.g. `2.5.4.3`. */
export function objectIdentifier(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^\d+$/.test(arc)) {
      throw new RangeError(`bad OID ${dotted}`);
    }
    return BigInt(arc);
  });
  const [first, second, ...rest] = arcs;
  if (first === undefined || second === undefined || first > 2n) {
    throw new RangeError(`bad OID ${dotted}`);
  }
  const bytes: number[] = [];
  for (const arc of [first * 40n + second, ...rest]) {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let value = arc >> 7n; value > 0n; value >>= 7n) {
      chunk.unshift(Number(value & 0x7fn) | 0x80);
    }
    bytes.push(...chunk);
  }
  return tlv(TAG.objectIdentifier, Buffer.from(bytes));
}

/** UTF8String. */
export function utf8String(value: string): Buffer {
  return tlv(TAG.utf8String, Buffer.from(value, 'utf8'));
}

/** BIT STRING of whole bytes (no unused bits). */
export function bitString(bytes: Uint8Array): Buffer {
  return tlv(TAG.bitString, Buffer.concat([Buffer.of(0), bytes]));
}

/** A context-specific constructed tag `[n]` around already encoded contents. */
export function contextConstructed(n: number, contents: Uint8Array): Buffer {
  return tlv(0xa0 | n, contents);
}
