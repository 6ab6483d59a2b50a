import type { KeyObject } from 'node:crypto';
import {
  KycError,
  MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS,
  TYP,
  assertFresh,
  parseCertificationRequestPayload,
  verifyJws,
} from '../../../protocol/src';
import type { CertificationRequestPayload } from '../../../protocol/src';
import type { TxTime } from '../common/tx-time';

/** A certification request whose signature, subject, audience and freshness have been checked. */
export interface VerifiedRequest {
  readonly jws: string;
  /** `DecodedJws.id`: unchanged by re-encoding the ECDSA signature, so it names the request. */
  readonly requestId: string;
  readonly payload: CertificationRequestPayload;
}

function mismatch(detail: string): never {
  throw new KycError('KYC_MISMATCH', detail);
}

/**
 * Verifies the person's certification request: ES256 under the key `personId` names, `sub` is that person,
 * `aud` is the calling certifier, and it is fresh at the transaction time.
 *
 * @throws KycError KYC_INVALID_ARGUMENT (malformed), KYC_BAD_SIGNATURE, KYC_MISMATCH (sub or aud),
 *   KYC_EXPIRED.
 */
export function verifyCertificationRequest(
  requestJws: unknown,
  personId: string,
  publicKey: KeyObject,
  certifier: string,
  now: TxTime,
): VerifiedRequest {
  const jws = verifyJws(requestJws, TYP.certificationRequest, publicKey);
  const payload = parseCertificationRequestPayload(jws.payload);
  if (payload.sub !== personId) {
    mismatch('certification request is about another person');
  }
  if (payload.aud !== certifier) {
    mismatch(`certification request is addressed to another certifier, not ${certifier}`);
  }
  // An officer may take days to check the person, so requests live longer than consents (protocol constant).
  assertFresh(
    payload.iat,
    payload.exp,
    now.seconds,
    'certification request',
    MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS,
  );
  return { jws: requestJws as string, requestId: jws.id, payload };
}
