import bs58 from 'bs58';
import { KycError } from '../../../protocol/src/errors';
import { decodeB64u, encodeB64u, fromUtf8, utf8 } from './b64';

/**
 * The protocol (docs/protocol.md) on WebCrypto, for the wallet in the browser: the same bytes as
 * protocol/src (test/unit/web/proto.test.ts checks them against it), but asynchronous and without Node.
 */

// The same constants as the server side, from protocol's dependency-free module (no copy to drift).
export {
  CLAIM_NAME,
  MAX_CLAIMS,
  MAX_CLAIM_VALUE_LENGTH,
  MAX_CLOCK_SKEW_SECONDS,
  MSP_ID,
  NONCE,
  TYP,
} from '../../../protocol/src/formats';
import { CLAIM_NAME, MAX_CLAIMS, MAX_CLAIM_VALUE_LENGTH } from '../../../protocol/src/formats';

export type Claims = Readonly<Record<string, string>>;
/** A WebCrypto key, named so that this module compiles for browsers (DOM) and for Node's tests alike. */
export type WebKey = Parameters<typeof crypto.subtle.sign>[1];

export async function sha256B64u(data: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const bytes = typeof data === 'string' ? utf8(data) : data;
  return encodeB64u(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)));
}

export function randomB64u(bytes = 16): string {
  return encodeB64u(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** `did:key:zDn…` of a P-256 public key: multicodec p256-pub (0x80 0x24) + SEC1 compressed point, base58btc. */
export async function didKeyOf(publicKey: WebKey): Promise<string> {
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', publicKey));
  const y = raw[64] ?? 0;
  const compressed = new Uint8Array(33);
  compressed[0] = (y & 1) === 1 ? 0x03 : 0x02;
  compressed.set(raw.subarray(1, 33), 1);
  const bytes = new Uint8Array(35);
  bytes.set([0x80, 0x24]);
  bytes.set(compressed, 2);
  return `did:key:z${bs58.encode(bytes)}`;
}

/** Compact JWS, ES256, signed by a WebCrypto key (its signature is already IEEE P1363 r‖s). */
export async function signJws(
  header: Readonly<Record<string, unknown>>,
  payload: Readonly<Record<string, unknown>>,
  key: WebKey,
): Promise<string> {
  const input = `${encodeB64u(utf8(JSON.stringify({ alg: 'ES256', ...header })))}.${encodeB64u(utf8(JSON.stringify(payload)))}`;
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, utf8(input));
  return `${input}.${encodeB64u(new Uint8Array(signature))}`;
}

export interface DecodedJws {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  readonly signingInput: string;
  readonly signature: Uint8Array<ArrayBuffer>;
}

const bad = (what: string): never => {
  throw new KycError('KYC_INVALID_ARGUMENT', what);
};

function jsonObject(part: string, what: string): Record<string, unknown> {
  const bytes = decodeB64u(part) ?? bad(`${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(fromUtf8(bytes));
  } catch {
    return bad(`${what} is not JSON`);
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : bad(`${what} is not a JSON object`);
}

function checkHeader(header: Record<string, unknown>, typ: string): void {
  if (header.alg !== 'ES256') bad('JWS alg must be ES256');
  if (header.typ !== typ) bad(`JWS typ must be ${typ}`);
  const refused = ['crit', 'b64', 'jku', 'jwk', 'x5u'].find((name) => name in header);
  if (refused !== undefined) bad(`JWS header ${refused} refused`);
}

/** Decodes a compact JWS and checks `alg`, `typ` and the refused header parameters (as protocol/src/jws.ts). */
export function decodeJws(token: string, typ: string): DecodedJws {
  const parts = token.length <= 16 * 1024 ? token.split('.') : [];
  const [h = '', p = '', s = ''] = parts.length === 3 ? parts : bad('not a compact JWS');
  const header = jsonObject(h, 'JWS header');
  checkHeader(header, typ);
  const signature = decodeB64u(s);
  return signature?.length === 64
    ? { header, payload: jsonObject(p, 'JWS payload'), signingInput: `${h}.${p}`, signature }
    : bad('JWS signature must be 64 bytes');
}

export async function verifiesWith(jws: DecodedJws, key: WebKey): Promise<boolean> {
  return crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, jws.signature, utf8(jws.signingInput));
}

/** b64u(H(JSON [salt, claims sorted by name])): the certification request's `claims_hash`. */
export async function claimsHash(claims: Claims, salt: string): Promise<string> {
  const sorted = Object.keys(claims)
    .sort()
    .map((name) => [name, claims[name]] as const);
  return sha256B64u(JSON.stringify([salt, Object.fromEntries(sorted)]));
}

export interface Disclosure {
  readonly disclosure: string;
  readonly salt: string;
  readonly name: string;
  readonly value: string;
}

function disclosureParts(disclosure: string): unknown[] {
  if (disclosure.length === 0 || disclosure.length > 2048) bad('a disclosure must be 1 to 2048 characters');
  const bytes = decodeB64u(disclosure) ?? bad('a disclosure must be base64url');
  let parts: unknown;
  try {
    parts = JSON.parse(fromUtf8(bytes));
  } catch {
    return bad('a disclosure must decode to JSON');
  }
  return Array.isArray(parts) && parts.length === 3
    ? (parts as unknown[])
    : bad('a disclosure must be [salt, name, value]');
}

const isText = (v: unknown, min: number, max: number): v is string =>
  typeof v === 'string' && v.length >= min && v.length <= max;

/** Opens a disclosure `b64u(JSON [salt, name, value])`, checking every part (as protocol's parseDisclosure). */
export function parseDisclosure(disclosure: string): Disclosure {
  const [salt, name, value] = disclosureParts(disclosure);
  if (!isText(salt, 22, 64) || !/^[A-Za-z0-9_-]+$/.test(salt)) return bad('a disclosure salt is malformed');
  if (typeof name !== 'string' || !CLAIM_NAME.test(name)) return bad('a disclosure claim name is malformed');
  if (!isText(value, 1, MAX_CLAIM_VALUE_LENGTH)) return bad('a disclosure claim value must be a non-empty string');
  return { disclosure, salt, name, value };
}

/** b64u(H(d1 "~" d2 …)): the consent's `disclosures_hash`, in the order sent. */
export function disclosuresHash(disclosures: readonly string[]): Promise<string> {
  return sha256B64u(disclosures.join('~'));
}

/** Checks claims as the certifier will: names, 1..32 of them, values 1..1024 characters, NFC. */
export function assertValidClaims(claims: Claims): void {
  const entries = Object.entries(claims);
  if (entries.length === 0 || entries.length > MAX_CLAIMS) bad(`enter 1 to ${MAX_CLAIMS} claims`);
  for (const [name, value] of entries) {
    if (!CLAIM_NAME.test(name)) bad(`claim name '${name.slice(0, 64)}' must be lower case letters, digits and _`);
    if (value.length === 0 || value.length > MAX_CLAIM_VALUE_LENGTH)
      bad(`claim '${name}' must be 1 to 1024 characters`);
    if (value !== value.normalize('NFC')) bad(`claim '${name}' must be in Unicode NFC`);
  }
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);
