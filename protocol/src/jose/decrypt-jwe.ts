import { createDecipheriv, createPublicKey, KeyObject } from 'node:crypto';
import { decodeBase64UrlStrict, EVIDENCE_CONTENT_TYPE, KycError, PRESENTATION_CONTENT_TYPE } from '..';
import { MAX_EVIDENCE_JWE_LENGTH } from '../formats';
import { concatKdf } from './concat-kdf';

/**
 * Decryption of the JWEs people send to organisations (RFC 7516 compact serialisation) with `alg: ECDH-ES`
 * (direct key agreement, RFC 7518 §4.6) and `enc: A256GCM`: presentations to a bank, evidence (document
 * photo, selfie, chip files) to a certifier. Written by hand because the organisation's half of the key
 * agreement happens inside its HSM: only the ECDH step is injected, everything else (header checks, Concat
 * KDF, AES-GCM) is here.
 */

/**
 * Longest JWE accepted, in characters. A presentation holds at most 32 disclosures of at most 2 KiB each plus a
 * consent JWS: about 70 KB of plaintext, 93 KB once base64url-encoded. Anything longer is refused unread.
 */
export const MAX_PRESENTATION_JWE_LENGTH = 128 * 1024;

/** Computes the ECDH shared secret Z (32 bytes for P-256) between the bank's key and the sender's `epk`. */
export type DeriveSharedSecret = (epk: KeyObject) => Promise<Buffer>;

export interface DecryptJweOptions {
  /** ECDH with the organisation's private encryption key (in the HSM); receives the validated ephemeral key. */
  readonly deriveSharedSecret: DeriveSharedSecret;
  /** When set, the protected header's `kid` (the registration or certification id) must equal it. */
  readonly expectedKid?: string;
}

interface JweKind {
  /** What the JWE carries, for the refusal's message. */
  readonly what: string;
  /** The `cty` the protected header must carry. */
  readonly contentType: string;
  readonly maxLength: number;
}

const PRESENTATION: JweKind = {
  what: 'presentation',
  contentType: PRESENTATION_CONTENT_TYPE,
  maxLength: MAX_PRESENTATION_JWE_LENGTH,
};
const EVIDENCE: JweKind = { what: 'evidence', contentType: EVIDENCE_CONTENT_TYPE, maxLength: MAX_EVIDENCE_JWE_LENGTH };

/** Header parameters a JWE may carry; anything else (`zip`, `crit`, `jku`, …) is refused. */
const ALLOWED_HEADER_PARAMETERS: ReadonlySet<string> = new Set(['alg', 'enc', 'cty', 'kid', 'epk', 'apu', 'apv']);
const MAX_KID_LENGTH = 128;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const P256_COORDINATE_BYTES = 32;
const AES_256_KEY_BITS = 256;

interface ParsedJwe {
  readonly protectedHeader: string;
  readonly epk: KeyObject;
  readonly enc: string;
  readonly apu: Buffer;
  readonly apv: Buffer;
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/** Internal: marks a failed check; always replaced by one uniform KYC_DECRYPTION_FAILED before leaving. */
class Refused extends Error {}

function refuse(): never {
  throw new Refused();
}

function decodePart(part: string): Buffer {
  return decodeBase64UrlStrict(part) ?? refuse();
}

function parseHeaderJson(part: string): Record<string, unknown> {
  const value: unknown = JSON.parse(decodePart(part).toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    refuse();
  }
  return value as Record<string, unknown>;
}

function checkHeader(header: Record<string, unknown>, expectedKid: string | undefined, kind: JweKind): void {
  if (Object.keys(header).some((name) => !ALLOWED_HEADER_PARAMETERS.has(name))) {
    refuse();
  }
  if (header.alg !== 'ECDH-ES' || header.enc !== 'A256GCM' || header.cty !== kind.contentType) {
    refuse();
  }
  const kid = header.kid;
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > MAX_KID_LENGTH) {
    refuse();
  }
  if (expectedKid !== undefined && kid !== expectedKid) {
    refuse();
  }
}

function coordinate(value: unknown): string {
  if (typeof value !== 'string' || decodeBase64UrlStrict(value)?.length !== P256_COORDINATE_BYTES) {
    refuse();
  }
  return value;
}

/** The sender's ephemeral key: exactly `{kty, crv, x, y}` of P-256; node:crypto refuses points off the curve. */
function importEpk(value: unknown): KeyObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    refuse();
  }
  const jwk = value as Record<string, unknown>;
  if (Object.keys(jwk).length !== 4 || jwk.kty !== 'EC' || jwk.crv !== 'P-256') {
    refuse();
  }
  const key = { kty: 'EC', crv: 'P-256', x: coordinate(jwk.x), y: coordinate(jwk.y) };
  return createPublicKey({ key, format: 'jwk' });
}

function optionalBytes(value: unknown): Buffer {
  if (value === undefined) {
    return Buffer.alloc(0);
  }
  return typeof value === 'string' ? decodePart(value) : refuse();
}

function parseCompactJwe(jwe: unknown, expectedKid: string | undefined, kind: JweKind): ParsedJwe {
  if (typeof jwe !== 'string' || jwe.length > kind.maxLength) {
    refuse();
  }
  const parts = jwe.split('.');
  if (parts.length !== 5) {
    refuse();
  }
  const [protectedHeader, encryptedKey, ivPart, ciphertextPart, tagPart] = parts as [
    string,
    string,
    string,
    string,
    string,
  ];
  const header = parseHeaderJson(protectedHeader);
  checkHeader(header, expectedKid, kind);
  const iv = decodePart(ivPart);
  const tag = decodePart(tagPart);
  // Direct key agreement: the JWE Encrypted Key must be empty (RFC 7518 §4.6).
  if (encryptedKey !== '' || iv.length !== IV_BYTES || tag.length !== TAG_BYTES) {
    refuse();
  }
  return {
    protectedHeader,
    epk: importEpk(header.epk),
    enc: 'A256GCM',
    apu: optionalBytes(header.apu),
    apv: optionalBytes(header.apv),
    iv,
    ciphertext: decodePart(ciphertextPart),
    tag,
  };
}

function openJwe(jwe: ParsedJwe, sharedSecret: Buffer): Record<string, unknown> {
  if (sharedSecret.length !== P256_COORDINATE_BYTES) {
    refuse();
  }
  const key = concatKdf(sharedSecret, jwe.enc, jwe.apu, jwe.apv, AES_256_KEY_BITS);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, jwe.iv, { authTagLength: TAG_BYTES });
    // The AAD is the ASCII of the protected header exactly as received (RFC 7516 §5.2 step 14).
    decipher.setAAD(Buffer.from(jwe.protectedHeader, 'ascii'));
    decipher.setAuthTag(jwe.tag);
    const plaintext = Buffer.concat([decipher.update(jwe.ciphertext), decipher.final()]);
    const value: unknown = JSON.parse(plaintext.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      refuse();
    }
    return value as Record<string, unknown>;
  } finally {
    key.fill(0);
  }
}

function decryptionFailed(kind: JweKind): KycError {
  return new KycError('KYC_DECRYPTION_FAILED', `the ${kind.what} could not be decrypted`);
}

/**
 * Decrypts a presentation JWE addressed to the bank and returns its plaintext JSON object (not yet checked
 * against the presentation format: see parsePresentation in protocol/src).
 *
 * Every failure, whether size, header, key, tag or JSON, produces the same error with the same message and no
 * cause, so a sender learns nothing about which step refused the token. The one exception is a `KycError` with
 * code `KYC_UNAVAILABLE` thrown by `deriveSharedSecret` (the HSM is down): it passes through so the caller can
 * answer "retry later" instead of blaming the sender.
 *
 * @example
 * const plaintext = await decryptPresentation(body, { deriveSharedSecret: (epk) => hsm.ecdh(keyId, epk) });
 * @throws KycError KYC_DECRYPTION_FAILED for any malformed, foreign or tampered JWE.
 * @throws KycError KYC_UNAVAILABLE when `deriveSharedSecret` reports that code.
 */
export function decryptPresentation(
  jwe: unknown,
  options: Readonly<DecryptJweOptions>,
): Promise<Record<string, unknown>> {
  return decryptJwe(jwe, options, PRESENTATION);
}

/**
 * Decrypts an evidence JWE addressed to the certifier (`cty` kyc-evidence+json, `kid` the certification id),
 * with the same uniform refusal as {@link decryptPresentation}.
 *
 * @throws KycError KYC_DECRYPTION_FAILED, KYC_UNAVAILABLE as decryptPresentation.
 */
export function decryptEvidence(jwe: unknown, options: Readonly<DecryptJweOptions>): Promise<Record<string, unknown>> {
  return decryptJwe(jwe, options, EVIDENCE);
}

async function decryptJwe(
  jwe: unknown,
  options: Readonly<DecryptJweOptions>,
  kind: JweKind,
): Promise<Record<string, unknown>> {
  let parsed: ParsedJwe;
  try {
    parsed = parseCompactJwe(jwe, options.expectedKid, kind);
  } catch {
    throw decryptionFailed(kind);
  }
  let sharedSecret: Buffer;
  try {
    sharedSecret = await options.deriveSharedSecret(parsed.epk);
  } catch (error) {
    if (error instanceof KycError && error.code === 'KYC_UNAVAILABLE') {
      throw error;
    }
    throw decryptionFailed(kind);
  }
  try {
    return openJwe(parsed, sharedSecret);
  } catch {
    throw decryptionFailed(kind);
  } finally {
    sharedSecret.fill(0);
  }
}
