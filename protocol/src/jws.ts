import { verify, KeyObject } from 'node:crypto';
import { decodeBase64UrlStrict, sha256Base64Url } from './base64url';
import { KycError } from './errors';

/**
 * Compact JWS with ES256 only (RFC 7515 / RFC 7518 §3.4). Deliberately small: the chaincode must verify
 * signatures deterministically without async APIs, and every signed object of the protocol is ES256 with an
 * explicit `typ`, so nothing else is accepted (no `alg` negotiation, no `crit`, no unencoded payloads).
 */

export const MAX_JWS_LENGTH = 16 * 1024;

export interface JwsHeader {
  readonly alg: 'ES256';
  readonly typ: string;
  readonly kid?: string;
  /** Certificate chain, leaf first, base64 (not url) DER as RFC 7515 §4.1.6 says. */
  readonly x5c?: readonly string[];
}

export interface DecodedJws {
  readonly header: JwsHeader;
  readonly payload: Record<string, unknown>;
  /** `base64url(header) + '.' + base64url(payload)`: the bytes the signature covers. */
  readonly signingInput: string;
  /** IEEE P1363 `r || s`, 64 bytes. */
  readonly signature: Buffer;
  /** base64url(SHA-256(signingInput)): stable across re-encodings of the signature, so it names the object. */
  readonly id: string;
}

/** Signs `data` with ES256 and returns the IEEE P1363 `r || s` form (64 bytes). */
export type Es256Signer = (data: Uint8Array) => Promise<Uint8Array>;

function parseJsonObject(part: string, what: string): Record<string, unknown> {
  const bytes = decodeBase64UrlStrict(part);
  if (bytes === undefined) {
    throw new KycError('KYC_INVALID_ARGUMENT', `${what} is not base64url`);
  }
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new KycError('KYC_INVALID_ARGUMENT', `${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KycError('KYC_INVALID_ARGUMENT', `${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Header parameters that would change how the token is processed; none is part of this protocol. */
const UNSUPPORTED_HEADER_PARAMETERS = ['crit', 'b64', 'jku', 'jwk', 'x5u'];

function checkHeader(header: Record<string, unknown>, expectedTyp: string): JwsHeader {
  if (header.alg !== 'ES256') {
    throw new KycError('KYC_INVALID_ARGUMENT', 'JWS alg must be ES256');
  }
  if (header.typ !== expectedTyp) {
    throw new KycError('KYC_INVALID_ARGUMENT', `JWS typ must be ${expectedTyp}`);
  }
  if (UNSUPPORTED_HEADER_PARAMETERS.some((name) => name in header)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'JWS header has unsupported parameters');
  }
  if (header.kid !== undefined && typeof header.kid !== 'string') {
    throw new KycError('KYC_INVALID_ARGUMENT', 'JWS kid must be a string');
  }
  if (header.x5c !== undefined && !isNonEmptyStringArray(header.x5c)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'JWS x5c must be a non-empty array of strings');
  }
  return header as unknown as JwsHeader;
}

function isNonEmptyStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string');
}

/**
 * Splits and decodes a compact JWS and checks its header, without checking the signature.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when the token is malformed, too long, or has the wrong alg or typ.
 */
export function decodeJws(token: unknown, expectedTyp: string): DecodedJws {
  if (typeof token !== 'string' || token.length === 0) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'JWS must be a non-empty string');
  }
  if (token.length > MAX_JWS_LENGTH) {
    throw new KycError('KYC_INVALID_ARGUMENT', `JWS is longer than ${MAX_JWS_LENGTH} characters`);
  }
  const parts = token.split('.');
  if (parts.length !== 3) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'JWS must have three dot-separated parts');
  }
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = checkHeader(parseJsonObject(headerPart, 'JWS header'), expectedTyp);
  const payload = parseJsonObject(payloadPart, 'JWS payload');
  const signature = decodeBase64UrlStrict(signaturePart);
  if (signature?.length !== 64) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'JWS signature must be 64 bytes of base64url');
  }
  const signingInput = `${headerPart}.${payloadPart}`;
  return { header, payload, signingInput, signature, id: sha256Base64Url(signingInput) };
}

/** True when the decoded JWS's signature verifies under `publicKey` (P-256). */
export function verifiesWith(jws: DecodedJws, publicKey: KeyObject): boolean {
  try {
    return verify(
      'sha256',
      Buffer.from(jws.signingInput, 'ascii'),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      jws.signature,
    );
  } catch {
    return false;
  }
}

/**
 * Decodes a compact JWS, checks its header and verifies its ES256 signature under `publicKey`.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when malformed, KYC_BAD_SIGNATURE when the signature does not verify.
 */
export function verifyJws(token: unknown, expectedTyp: string, publicKey: KeyObject): DecodedJws {
  const jws = decodeJws(token, expectedTyp);
  if (!verifiesWith(jws, publicKey)) {
    throw new KycError('KYC_BAD_SIGNATURE', `${expectedTyp} signature does not verify`);
  }
  return jws;
}

/**
 * Builds a compact JWS: `alg` is always ES256, the signer returns `r || s`.
 *
 * @example
 * const jws = await signJws({ typ: TYP.consent }, payload, (data) => sign(data));
 */
export async function signJws(
  header: Omit<JwsHeader, 'alg'>,
  payload: Readonly<Record<string, unknown>>,
  signer: Es256Signer,
): Promise<string> {
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  const signingInput = `${encode({ alg: 'ES256', ...header })}.${encode(payload)}`;
  const signature = await signer(Buffer.from(signingInput, 'ascii'));
  if (signature.length !== 64) {
    throw new KycError('KYC_INTERNAL', 'ES256 signer must return 64 bytes (r || s)');
  }
  return `${signingInput}.${Buffer.from(signature).toString('base64url')}`;
}
