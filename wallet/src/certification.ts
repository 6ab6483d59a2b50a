import { randomBytes } from 'node:crypto';
import {
  assertValidClaims,
  claimsHash,
  KycError,
  MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS,
  MSP_ID,
  NONCE,
  normaliseClaimValue,
  RECORD_KIND,
  signJws,
  TYP,
  type CertificationRequestPayload,
  type Claims,
} from '../../protocol/src';
import type { CertificationState } from './certifier-client';
import { parseDisclosureSet, type Credential } from './credential';
import type { PersonKey } from './keys';

/**
 * Longest lifetime of a certification request (the protocol's 30 days): it reaches the ledger only when an
 * officer approves, which may take days of document checks. The wallet asks for 7 days by default.
 */
export const MAX_REQUEST_LIFETIME_SECONDS = MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS;
const DEFAULT_REQUEST_LIFETIME_SECONDS = 7 * 24 * 3600;

export interface CertificationRequestOptions {
  readonly key: PersonKey;
  /** The certifier's MSP id, as its nonce answer names it: the request's `aud`. */
  readonly certifier: string;
  /** The nonce the certifier handed out. */
  readonly nonce: string;
  /** What to certify, e.g. `identity`. */
  readonly kind: string;
  /** The claims submitted with the request (see {@link normaliseClaims}). */
  readonly claims: Claims;
  /** Default: the current time. */
  readonly now?: Date;
  /** `exp - iat` in seconds, 1 to 600; default 300. */
  readonly lifetimeSeconds?: number;
}

export interface CertificationRequest {
  /** Compact JWS, `typ` kyc-certification-request+jwt, signed by the person's key. */
  readonly request: string;
  readonly payload: CertificationRequestPayload;
  /** The secret salt of `claims_hash`: sent to the certifier with the claims, kept in the wallet, never signed. */
  readonly claimsSalt: string;
}

/**
 * A certification request the wallet is waiting on. Only the hash of the claims is kept: the claims come back
 * inside the disclosures, and the hash proves they are the ones submitted.
 */
export interface PendingCertification {
  readonly id: string;
  readonly certifierUrl: string;
  readonly certifier: string;
  readonly kind: string;
  readonly personId: string;
  readonly claimsHash: string;
  readonly claimsSalt: string;
  readonly requestedAt: string;
}

/**
 * Turns raw input (a parsed JSON file) into claims: every value is normalised to Unicode NFC, then checked
 * (1..32 claims, names `^[a-z][a-z0-9_]{0,63}$`, non-empty string values of at most 1024 characters).
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the first offending claim.
 */
export function normaliseClaims(raw: unknown): Claims {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'claims must be a JSON object of claim name to string value');
  }
  const entries = Object.entries(raw as Record<string, unknown>).map(
    ([name, value]) => [name, typeof value === 'string' ? normaliseClaimValue(value) : value] as const,
  );
  const claims: unknown = Object.fromEntries(entries);
  assertValidClaims(claims);
  return claims;
}

function checkRequestOptions(options: Readonly<CertificationRequestOptions>): number {
  if (!MSP_ID.test(options.certifier) || !NONCE.test(options.nonce) || !RECORD_KIND.test(options.kind)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'certifier, nonce or kind is malformed');
  }
  const lifetime = options.lifetimeSeconds ?? DEFAULT_REQUEST_LIFETIME_SECONDS;
  if (!Number.isSafeInteger(lifetime) || lifetime < 1 || lifetime > MAX_REQUEST_LIFETIME_SECONDS) {
    throw new KycError('KYC_INVALID_ARGUMENT', `request lifetime must be 1 to ${MAX_REQUEST_LIFETIME_SECONDS} s`);
  }
  assertValidClaims(options.claims);
  return lifetime;
}

/**
 * Signs a certification request: `{ sub: did, aud: certifier, nonce, iat, exp, kind, claims_hash }` with the
 * person's key. The claims themselves travel beside the JWS; `claims_hash` binds them.
 *
 * @example
 * const { request } = await createCertificationRequest({ key, certifier: 'CertifierMSP', nonce, kind: 'identity', claims });
 * @throws KycError KYC_INVALID_ARGUMENT for malformed options or claims.
 */
export async function createCertificationRequest(
  options: Readonly<CertificationRequestOptions>,
): Promise<CertificationRequest> {
  const lifetime = checkRequestOptions(options);
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claimsSalt = randomBytes(16).toString('base64url');
  const payload: CertificationRequestPayload = {
    sub: options.key.did,
    aud: options.certifier,
    nonce: options.nonce,
    iat,
    exp: iat + lifetime,
    kind: options.kind,
    claims_hash: claimsHash(options.claims, claimsSalt),
  };
  const request = await signJws({ typ: TYP.certificationRequest }, { ...payload }, options.key.sign);
  return { request, payload, claimsSalt };
}

function approvedDisclosures(state: CertificationState): readonly string[] {
  if (state.status === 'approved' && state.disclosures === undefined && state.collectedAt !== undefined) {
    throw new KycError(
      'KYC_CONFLICT',
      `certification ${state.id}: the disclosures were already collected and are not handed out again`,
    );
  }
  if (state.status !== 'approved' || state.record === undefined || state.disclosures === undefined) {
    throw new KycError('KYC_INVALID_ARGUMENT', `certification ${state.id} is ${state.status}, not approved`);
  }
  return state.disclosures;
}

/**
 * Turns an approved certification into a credential, after checking that it answers this request: same
 * certifier and kind, and disclosures that parse and open exactly the claims submitted (their claims hash
 * equals the one signed in the request). A certifier that changed, dropped or added a claim is refused.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when the certification is not approved or malformed.
 * @throws KycError KYC_MISMATCH when it does not match the pending request.
 */
export function credentialFromApproval(
  pending: PendingCertification,
  state: CertificationState,
  now: Date = new Date(),
): Credential {
  const disclosures = approvedDisclosures(state);
  const byName = parseDisclosureSet(disclosures, 'certification');
  // From the Map: a claim named like an Object.prototype member (`constructor`) stays an ordinary claim.
  const received = Object.fromEntries([...byName].map(([name, disclosure]) => [name, disclosure.value]));
  if (state.record?.certifier !== pending.certifier || state.record.kind !== pending.kind) {
    throw new KycError('KYC_MISMATCH', 'the certified record is not for the certifier and kind requested');
  }
  if (claimsHash(received, pending.claimsSalt) !== pending.claimsHash) {
    throw new KycError('KYC_MISMATCH', 'the disclosures do not open the claims that were submitted');
  }
  return {
    personId: pending.personId,
    record: state.record,
    disclosures: [...disclosures],
    storedAt: now.toISOString(),
  };
}
