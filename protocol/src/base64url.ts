import { createHash } from 'node:crypto';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** True when `value` is unpadded base64url text (the alphabet only; length is the caller's concern). */
export function isBase64Url(value: unknown): value is string {
  return typeof value === 'string' && BASE64URL.test(value);
}

/**
 * Decodes unpadded base64url strictly: Node's decoder skips characters outside the alphabet, so check first,
 * and re-encode to reject non-canonical trailing bits (two strings must never decode to the same bytes).
 *
 * @returns the bytes, or `undefined` when `value` is not canonical base64url.
 */
export function decodeBase64UrlStrict(value: string): Buffer | undefined {
  if (!BASE64URL.test(value) || value.length % 4 === 1) {
    return undefined;
  }
  const bytes = Buffer.from(value, 'base64url');
  return bytes.toString('base64url') === value ? bytes : undefined;
}

/** base64url(SHA-256(UTF-8 of `text`)): the digest form used for disclosures, claims and consents. */
export function sha256Base64Url(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('base64url');
}
