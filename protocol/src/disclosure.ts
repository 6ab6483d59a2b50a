import { decodeBase64UrlStrict, isBase64Url, sha256Base64Url } from './base64url';
import { KycError } from './errors';

/**
 * Salted per-claim commitments in the SD-JWT manner (RFC 9901 §4.2): a disclosure is
 * base64url(UTF-8(JSON [salt, claim name, claim value])) and its digest base64url(SHA-256(disclosure)). The
 * ledger stores only digests; the person keeps the disclosures and reveals the ones they choose. The verifier
 * hashes the exact disclosure string it received, so no re-serialisation ever happens on that side.
 */

export { CLAIM_NAME, MAX_CLAIMS, MAX_CLAIM_VALUE_LENGTH } from './formats';
import { CLAIM_NAME, MAX_CLAIMS, MAX_CLAIM_VALUE_LENGTH } from './formats';
/** 128 bits of salt at least, as RFC 9901 recommends; 16 random bytes are 22 base64url characters. */
export const MIN_SALT_LENGTH = 22;
export const MAX_SALT_LENGTH = 64;
/** A SHA-256 digest in base64url is always 43 characters. */
export const DIGEST = /^[A-Za-z0-9_-]{43}$/;
export const MAX_DISCLOSURE_LENGTH = 2048;

/** The personal data a certifier verified: claim name → value, all strings. */
export type Claims = Readonly<Record<string, string>>;

export interface ParsedDisclosure {
  readonly disclosure: string;
  readonly salt: string;
  readonly name: string;
  readonly value: string;
  readonly digest: string;
}

/** Normalises a claim value to NFC so that the same text always produces the same disclosure. */
export function normaliseClaimValue(value: string): string {
  return value.normalize('NFC');
}

/**
 * Checks a claims object: 1..{@link MAX_CLAIMS} entries, names matching {@link CLAIM_NAME}, string values of
 * at most {@link MAX_CLAIM_VALUE_LENGTH} characters, already in NFC.
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the first offending claim.
 */
export function assertValidClaims(claims: unknown): asserts claims is Claims {
  if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'claims must be an object of claim name to string value');
  }
  const entries = Object.entries(claims);
  if (entries.length === 0 || entries.length > MAX_CLAIMS) {
    throw new KycError('KYC_INVALID_ARGUMENT', `claims must have 1 to ${MAX_CLAIMS} entries`);
  }
  for (const [name, value] of entries) {
    assertValidClaim(name, value);
  }
}

function assertValidClaim(name: string, value: unknown): void {
  if (!CLAIM_NAME.test(name)) {
    throw new KycError('KYC_INVALID_ARGUMENT', `claim name '${name.slice(0, 64)}' must match ${CLAIM_NAME.source}`);
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CLAIM_VALUE_LENGTH) {
    throw new KycError(
      'KYC_INVALID_ARGUMENT',
      `claim '${name}' must be a string of 1 to ${MAX_CLAIM_VALUE_LENGTH} characters`,
    );
  }
  if (value !== normaliseClaimValue(value)) {
    throw new KycError('KYC_INVALID_ARGUMENT', `claim '${name}' must be in Unicode NFC`);
  }
}

/**
 * The hash a certification request carries to bind the claims the person submitted:
 * base64url(SHA-256(JSON `[salt, claims]`)) with the claims' keys in ascending code-unit order. Values are
 * strings, so this serialisation is the same in every JSON implementation. The salt is a fresh ≥128-bit secret
 * the wallet sends to the certifier beside the claims and never signs in clear: the request JWS is stored on
 * the ledger, and an unsalted hash would let anyone who knows a person's name brute-force the rest.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when the salt is not base64url of 22 to 64 characters.
 */
export function claimsHash(claims: Claims, salt: string): string {
  if (salt.length < MIN_SALT_LENGTH || salt.length > MAX_SALT_LENGTH || !isBase64Url(salt)) {
    throw new KycError(
      'KYC_INVALID_ARGUMENT',
      `the claims salt must be base64url of ${MIN_SALT_LENGTH} to ${MAX_SALT_LENGTH} characters`,
    );
  }
  const sorted = Object.keys(claims)
    .sort()
    .map((name) => [name, claims[name]] as const);
  return sha256Base64Url(JSON.stringify([salt, Object.fromEntries(sorted)]));
}

/** Builds one disclosure from a salt (base64url, ≥128 bits) and a claim. */
export function createDisclosure(salt: string, name: string, value: string): ParsedDisclosure {
  const normalised = normaliseClaimValue(value);
  const disclosure = Buffer.from(JSON.stringify([salt, name, normalised]), 'utf8').toString('base64url');
  return { disclosure, salt, name, value: normalised, digest: sha256Base64Url(disclosure) };
}

/**
 * Decodes a disclosure string back into salt, name and value, checking every part.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when it is not a well-formed disclosure.
 */
export function parseDisclosure(disclosure: unknown): ParsedDisclosure {
  const [salt, name, value] = decodeDisclosureParts(disclosure);
  if (
    typeof salt !== 'string' ||
    salt.length < MIN_SALT_LENGTH ||
    salt.length > MAX_SALT_LENGTH ||
    !isBase64Url(salt)
  ) {
    throw new KycError(
      'KYC_INVALID_ARGUMENT',
      `a disclosure salt must be base64url of ${MIN_SALT_LENGTH} to ${MAX_SALT_LENGTH} characters`,
    );
  }
  if (typeof name !== 'string' || !CLAIM_NAME.test(name)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'a disclosure claim name is malformed');
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_CLAIM_VALUE_LENGTH) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'a disclosure claim value must be a non-empty string');
  }
  const text = disclosure as string;
  return { disclosure: text, salt, name, value, digest: sha256Base64Url(text) };
}

function decodeDisclosureParts(disclosure: unknown): unknown[] {
  if (typeof disclosure !== 'string' || disclosure.length === 0 || disclosure.length > MAX_DISCLOSURE_LENGTH) {
    throw new KycError(
      'KYC_INVALID_ARGUMENT',
      `a disclosure must be a string of 1 to ${MAX_DISCLOSURE_LENGTH} characters`,
    );
  }
  const bytes = decodeBase64UrlStrict(disclosure);
  if (bytes === undefined) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'a disclosure must be base64url');
  }
  let parts: unknown;
  try {
    parts = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new KycError('KYC_INVALID_ARGUMENT', 'a disclosure must decode to JSON');
  }
  if (!Array.isArray(parts) || parts.length !== 3) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'a disclosure must decode to [salt, name, value]');
  }
  return parts as unknown[];
}

/**
 * The hash a consent carries over the disclosures presented with it: base64url(SHA-256(d1 '~' d2 '~' …)) in
 * the order presented (disclosures are base64url, so `~` cannot occur inside one; SD-JWT uses the same glue).
 */
export function disclosuresHash(disclosures: readonly string[]): string {
  return sha256Base64Url(disclosures.join('~'));
}
