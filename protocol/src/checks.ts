import type { KeyObject } from 'node:crypto';
import { claimsHash, disclosuresHash, type Claims } from './disclosure';
import { KycError } from './errors';
import { verifyJws } from './jws';
import {
  MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS,
  TYP,
  assertFresh,
  parseCertificationRequestPayload,
  parseConsentPayload,
  type CertificationRequestPayload,
  type ConsentPayload,
} from './messages';

/**
 * The two checks every side makes on what a person signs, written once with one set of codes: the
 * certifier service and the contract check a certification request; the bank service and the contract check
 * a consent. Each side checks again where it stands (the contract on the ledger, at transaction time), so a
 * service's check saves a transaction but is never the last word.
 */

/** Verifies a signed object of type `typ` under `publicKey` and parses its payload. */
function openSigned<P>(
  token: unknown,
  typ: string,
  publicKey: KeyObject,
  parse: (payload: Record<string, unknown>) => P,
): { readonly id: string; readonly payload: P } {
  const jws = verifyJws(token, typ, publicKey);
  return { id: jws.id, payload: parse(jws.payload) };
}

function mismatch(detail: string): never {
  throw new KycError('KYC_MISMATCH', detail);
}

/** What a certification request must be bound to. */
export interface CertificationRequestExpectation {
  /** The person's did:key and the key it names. */
  readonly personId: string;
  readonly publicKey: KeyObject;
  /** The certifier's MSP id (the request's `aud`). */
  readonly certifier: string;
  /** The kind asked for, when the caller knows it already (the service's form, Renew's argument). */
  readonly kind?: string;
  /** The claims and salt submitted with the request, when the caller holds them (the certifier service). */
  readonly claims?: { readonly claims: Claims; readonly salt: string };
}

/** A certification request whose signature, bindings and freshness have been checked. */
export interface CheckedCertificationRequest {
  /** `DecodedJws.id`: unchanged by re-encoding the ECDSA signature, so it names the request. */
  readonly requestId: string;
  readonly payload: CertificationRequestPayload;
}

/**
 * Verifies a person's certification request: ES256 under the person's key, `sub` the person, `aud` the
 * certifier, the kind and claims hash as expected, fresh at `nowSeconds`. An officer may take days to check a
 * person, so a request may live up to MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS.
 *
 * @throws KycError KYC_INVALID_ARGUMENT (malformed), KYC_BAD_SIGNATURE, KYC_MISMATCH (a binding), KYC_EXPIRED.
 */
export function checkCertificationRequest(
  requestJws: unknown,
  expected: Readonly<CertificationRequestExpectation>,
  nowSeconds: number,
): CheckedCertificationRequest {
  const { id, payload } = openSigned(
    requestJws,
    TYP.certificationRequest,
    expected.publicKey,
    parseCertificationRequestPayload,
  );
  if (payload.sub !== expected.personId) {
    mismatch('certification request is about another person');
  }
  if (payload.aud !== expected.certifier) {
    mismatch(`certification request is addressed to another certifier, not ${expected.certifier}`);
  }
  if (expected.kind !== undefined && payload.kind !== expected.kind) {
    mismatch(`certification request is for kind ${payload.kind}, not ${expected.kind}`);
  }
  if (
    expected.claims !== undefined &&
    payload.claims_hash !== claimsHash(expected.claims.claims, expected.claims.salt)
  ) {
    mismatch('claims_hash does not match the claims submitted');
  }
  assertFresh(
    payload.iat,
    payload.exp,
    nowSeconds,
    'certification request',
    MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS,
  );
  return { requestId: id, payload };
}

/** What a consent must be bound to: the bank's registration and the record and disclosures presented. */
export interface ConsentExpectation {
  readonly personId: string;
  readonly publicKey: KeyObject;
  /** The bank's MSP id (the consent's `aud`). */
  readonly bank: string;
  readonly registrationId: string;
  readonly nonce: string;
  readonly certifier: string;
  readonly kind: string;
  /** In the order presented: `disclosures_hash` covers this order. */
  readonly disclosures: readonly string[];
}

/** A consent whose signature, bindings and freshness have been checked. */
export interface CheckedConsent {
  /** `DecodedJws.id` of the consent. */
  readonly consentId: string;
  readonly payload: ConsentPayload;
}

/**
 * Verifies a person's consent: ES256 under the person's key, bound to this bank, registration, nonce and
 * record, fresh at `nowSeconds`, and covering exactly the disclosures presented, in order.
 *
 * @throws KycError KYC_INVALID_ARGUMENT (malformed), KYC_BAD_SIGNATURE, KYC_MISMATCH (naming the first
 *   field that differs, or the disclosures), KYC_EXPIRED.
 */
export function checkConsent(
  consentJws: unknown,
  expected: Readonly<ConsentExpectation>,
  nowSeconds: number,
): CheckedConsent {
  const { id, payload } = openSigned(consentJws, TYP.consent, expected.publicKey, parseConsentPayload);
  const bindings: readonly (readonly [string, string, string])[] = [
    ['sub', payload.sub, expected.personId],
    ['aud', payload.aud, expected.bank],
    ['registration_id', payload.registration_id, expected.registrationId],
    ['nonce', payload.nonce, expected.nonce],
    ['certifier', payload.certifier, expected.certifier],
    ['kind', payload.kind, expected.kind],
  ];
  const wrong = bindings.find(([, actual, wanted]) => actual !== wanted);
  if (wrong !== undefined) {
    mismatch(`consent '${wrong[0]}' does not match the presentation`);
  }
  assertFresh(payload.iat, payload.exp, nowSeconds, 'consent');
  if (payload.disclosures_hash !== disclosuresHash(expected.disclosures)) {
    mismatch('consent does not cover the disclosures presented');
  }
  return { consentId: id, payload };
}
