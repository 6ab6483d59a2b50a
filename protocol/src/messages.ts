import { isBase64Url } from './base64url';
import { isP256DidKeyShape } from './did-key';
import { CLAIM_NAME, DIGEST, MAX_CLAIMS } from './disclosure';
import { KycError } from './errors';

/**
 * The signed objects of the protocol (docs/protocol.md) and their payload checks. Times in payloads are
 * NumericDate (seconds since the epoch), as in JWT.
 */
// The formats (typ values, identifier patterns, levels, clock skew) live in a module without dependencies,
// so the browser wallet uses the very same constants (web/app/lib/proto.ts).
export {
  LEVELS,
  MAX_CLOCK_SKEW_SECONDS,
  MSP_ID,
  NONCE,
  PRESENTATION_CONTENT_TYPE,
  EVIDENCE_CONTENT_TYPE,
  EVIDENCE_ROLES,
  MAX_EVIDENCE_BYTES,
  MAX_EVIDENCE_JWE_LENGTH,
  type EvidenceRole,
  RECORD_KIND,
  SCHEMA_ID,
  TYP,
  type AssuranceLevel,
  type RegistrationPayload,
} from './formats';
import {
  EVIDENCE_ROLES,
  LEVELS,
  MAX_CLOCK_SKEW_SECONDS,
  MSP_ID,
  NONCE,
  RECORD_KIND,
  type AssuranceLevel,
  type EvidenceRole,
  type RegistrationPayload,
} from './formats';

/** Longest lifetime (`exp - iat`) accepted for consents and registrations: they are meant to be used at once. */
export const MAX_SIGNED_LIFETIME_SECONDS = 3600;
/**
 * Longest lifetime of a certification request: an officer may need days to check documents in person
 * before the request reaches the ledger, so it may live up to 30 days (the wallet asks for 7 by default).
 */
export const MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS = 30 * 24 * 3600;

/**
 * Longest lifetime of a collection request: it is sent the moment it is made, so it lives minutes, not days.
 */
export const MAX_COLLECTION_REQUEST_LIFETIME_SECONDS = 300;
/** Certification ids as a certifier hands them out (opaque; safe in a URL path and in a file name). */
export const CERTIFICATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface CertificationRequestPayload {
  readonly sub: string;
  readonly aud: string;
  readonly nonce: string;
  readonly iat: number;
  readonly exp: number;
  readonly kind: string;
  /** {@link claimsHash} of the claims the person submitted. */
  readonly claims_hash: string;
}

export interface ConsentPayload {
  readonly sub: string;
  readonly aud: string;
  readonly registration_id: string;
  readonly nonce: string;
  readonly iat: number;
  readonly exp: number;
  /** Which attestation the disclosures open. */
  readonly certifier: string;
  readonly kind: string;
  /** {@link disclosuresHash} of the disclosures presented, in order. */
  readonly disclosures_hash: string;
}

/** Person → certifier: "give me the outcome of certification `certification_id`", signed by the person's key. */
export interface CollectionRequestPayload {
  readonly sub: string;
  /** The certifier's MSP id. */
  readonly aud: string;
  readonly certification_id: string;
  readonly iat: number;
  readonly exp: number;
  /** Random, ≥ 128 bits: makes every request distinct; the certifier accepts each request once. */
  readonly jti: string;
}

/**
 * Person → certifier: "these files are mine, for certification `certification_id`" (inside the evidence JWE),
 * signed by the person's key; `inputs` binds each file by its SHA-256.
 */
export interface EvidenceRequestPayload extends CollectionRequestPayload {
  /** Role → SHA-256 (base64url) of the file sent with that role. */
  readonly inputs: Readonly<Partial<Record<EvidenceRole, string>>>;
}

function fail(what: string): never {
  throw new KycError('KYC_INVALID_ARGUMENT', what);
}

function str(payload: Record<string, unknown>, field: string, pattern: RegExp, what: string): string {
  const value = payload[field];
  if (typeof value !== 'string' || !pattern.test(value)) {
    fail(`${what}: '${field}' is missing or malformed`);
  }
  return value;
}

/** The `sub` of a person-signed object: their P-256 did:key. */
function personSubject(payload: Record<string, unknown>, what: string): string {
  const sub = payload.sub;
  if (!isP256DidKeyShape(sub)) {
    fail(`${what}: 'sub' must be the person's did:key`);
  }
  return sub;
}

function seconds(payload: Record<string, unknown>, field: string, what: string): number {
  const value = payload[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(`${what}: '${field}' must be a NumericDate in seconds`);
  }
  return value;
}

/**
 * Checks `iat`/`exp` against `now` (seconds): not issued in the future beyond the skew, not expired, and not
 * living longer than {@link MAX_SIGNED_LIFETIME_SECONDS}.
 *
 * @throws KycError KYC_EXPIRED when expired, KYC_INVALID_ARGUMENT when the window itself is malformed.
 */
export function assertFresh(
  iat: number,
  exp: number,
  now: number,
  what: string,
  maxLifetime = MAX_SIGNED_LIFETIME_SECONDS,
): void {
  if (exp <= iat || exp - iat > maxLifetime) {
    fail(`${what}: exp must follow iat by at most ${maxLifetime} s`);
  }
  if (iat > now + MAX_CLOCK_SKEW_SECONDS) {
    fail(`${what}: issued in the future`);
  }
  if (exp <= now) {
    throw new KycError('KYC_EXPIRED', `${what} expired`);
  }
}

/**
 * Checks the shape of a certification request payload (not its signature, audience or freshness).
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the offending field.
 */
export function parseCertificationRequestPayload(payload: Record<string, unknown>): CertificationRequestPayload {
  const what = 'certification request';
  return {
    sub: personSubject(payload, what),
    aud: str(payload, 'aud', MSP_ID, what),
    nonce: str(payload, 'nonce', NONCE, what),
    iat: seconds(payload, 'iat', what),
    exp: seconds(payload, 'exp', what),
    kind: str(payload, 'kind', RECORD_KIND, what),
    claims_hash: str(payload, 'claims_hash', DIGEST, what),
  };
}

/**
 * Checks the shape of a consent payload (not its signature, audience or freshness).
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the offending field.
 */
export function parseConsentPayload(payload: Record<string, unknown>): ConsentPayload {
  const what = 'consent';
  return {
    sub: personSubject(payload, what),
    aud: str(payload, 'aud', MSP_ID, what),
    registration_id: str(payload, 'registration_id', NONCE, what),
    nonce: str(payload, 'nonce', NONCE, what),
    iat: seconds(payload, 'iat', what),
    exp: seconds(payload, 'exp', what),
    certifier: str(payload, 'certifier', MSP_ID, what),
    kind: str(payload, 'kind', RECORD_KIND, what),
    disclosures_hash: str(payload, 'disclosures_hash', DIGEST, what),
  };
}

/**
 * Checks the shape of a collection request payload (not its signature, audience or freshness).
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the offending field.
 */
export function parseCollectionRequestPayload(
  payload: Record<string, unknown>,
  what = 'collection request',
): CollectionRequestPayload {
  return {
    sub: personSubject(payload, what),
    aud: str(payload, 'aud', MSP_ID, what),
    certification_id: str(payload, 'certification_id', CERTIFICATION_ID, what),
    iat: seconds(payload, 'iat', what),
    exp: seconds(payload, 'exp', what),
    jti: str(payload, 'jti', NONCE, what),
  };
}

/**
 * @throws KycError KYC_INVALID_ARGUMENT unless `inputs` names known roles with SHA-256 digests, a selfie, and
 *   a document photo or the chip's three files (SOD, DG1, DG2).
 */
export function parseEvidenceRequestPayload(payload: Record<string, unknown>): EvidenceRequestPayload {
  const what = 'evidence request';
  const base = parseCollectionRequestPayload(payload, what);
  const inputs = payload.inputs;
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs))
    fail(`${what}: 'inputs' must be an object`);
  const roles: readonly string[] = EVIDENCE_ROLES;
  if (Object.entries(inputs).some(([role, digest]) => !roles.includes(role) || !DIGEST.test(String(digest)))) {
    fail(`${what}: 'inputs' maps ${EVIDENCE_ROLES.join(', ')} to SHA-256 digests`);
  }
  if (!isCompleteEvidence((role) => Object.hasOwn(inputs, role))) {
    fail(`${what}: send a selfie with a document photo or the chip's SOD, DG1 and DG2`);
  }
  return { ...base, inputs };
}

/** A selfie, with a document photo or all three chip files (and no partial chip read). */
function isCompleteEvidence(has: (role: EvidenceRole) => boolean): boolean {
  const chipFiles = [has('sod'), has('dg1'), has('dg2')];
  const chip = chipFiles.every(Boolean);
  return has('selfie') && (has('document') || chip) && (chip || !chipFiles.some(Boolean));
}

/**
 * An organisation's P-256 public encryption key as a JWK (a bank's in its registrations, a certifier's in its
 * nonce answers): exactly the public members, 43-character coordinates, no private part.
 *
 * @throws KycError KYC_INVALID_ARGUMENT otherwise.
 */
export function parseEncryptionJwk(value: unknown, what: string): RegistrationPayload['enc_jwk'] {
  if (typeof value !== 'object' || value === null) {
    fail(`${what}: 'enc_jwk' must be a P-256 public JWK`);
  }
  const jwk = value as Record<string, unknown>;
  if (
    jwk.kty !== 'EC' ||
    jwk.crv !== 'P-256' ||
    !isBase64Url(jwk.x) ||
    !isBase64Url(jwk.y) ||
    jwk.x.length !== 43 ||
    jwk.y.length !== 43 ||
    'd' in jwk
  ) {
    fail(`${what}: 'enc_jwk' must be a P-256 public JWK`);
  }
  return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
}

/**
 * Checks the shape of a registration payload (not its signature, issuer certificate or freshness).
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the offending field.
 */
export function parseRegistrationPayload(payload: Record<string, unknown>): RegistrationPayload {
  const what = 'registration';
  const level = payload.min_level;
  if (!LEVELS.includes(level as AssuranceLevel)) {
    fail(`${what}: 'min_level' must be 1, 2 or 3`);
  }
  const purpose = payload.purpose;
  if (typeof purpose !== 'string' || purpose.length === 0 || purpose.length > 200) {
    fail(`${what}: 'purpose' must be 1 to 200 characters`);
  }
  return {
    iss: str(payload, 'iss', MSP_ID, what),
    registration_id: str(payload, 'registration_id', NONCE, what),
    nonce: str(payload, 'nonce', NONCE, what),
    iat: seconds(payload, 'iat', what),
    exp: seconds(payload, 'exp', what),
    endpoint: str(payload, 'endpoint', HTTP_URL, what),
    claims: parseClaimNames(payload.claims, what),
    min_level: level as AssuranceLevel,
    enc_jwk: parseEncryptionJwk(payload.enc_jwk, what),
    purpose,
  };
}

const HTTP_URL = /^https?:\/\/[^\s]{1,500}$/;

function parseClaimNames(value: unknown, what: string): string[] {
  const names = Array.isArray(value) ? (value as unknown[]) : [];
  const valid = names.every((name) => typeof name === 'string' && CLAIM_NAME.test(name));
  if (names.length === 0 || names.length > MAX_CLAIMS || !valid || new Set(names).size !== names.length) {
    fail(`${what}: 'claims' must be 1 to ${MAX_CLAIMS} distinct claim names`);
  }
  return names as string[];
}
