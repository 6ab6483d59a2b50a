import { randomBytes } from 'node:crypto';
import { publicKeyFromDidKey } from './did-key';
import { KycError } from './errors';
import { decodeJws, signJws, verifyJws, type Es256Signer } from './jws';
import {
  CERTIFICATION_ID,
  MAX_COLLECTION_REQUEST_LIFETIME_SECONDS,
  MSP_ID,
  TYP,
  assertFresh,
  parseCollectionRequestPayload,
  type CollectionRequestPayload,
} from './messages';

/**
 * The collection request (docs/protocol.md §4.3): the person proves, with the key the certification is for,
 * that it is them asking for its outcome. One definition for the wallet (which builds it) and the certifier
 * (which verifies it), so the two cannot drift apart.
 */

export interface CollectionRequestOptions {
  /** The person's did:key: the certification's `personId`. */
  readonly personId: string;
  /** ES256 signer of the person's key. */
  readonly sign: Es256Signer;
  /** The certifier's MSP id (the `certifier` of its nonce answer). */
  readonly certifier: string;
  readonly certificationId: string;
  /** Default: the current time. */
  readonly now?: Date;
  /** `exp - iat`, 1 to {@link MAX_COLLECTION_REQUEST_LIFETIME_SECONDS}; default 120. */
  readonly lifetimeSeconds?: number;
}

const DEFAULT_LIFETIME_SECONDS = 120;

/**
 * Builds a compact JWS, `typ` kyc-collection-request+jwt, signed by the person's key.
 *
 * @example
 * const request = await createCollectionRequest({ personId: key.did, sign: key.sign, certifier: 'CertifierMSP', certificationId: id });
 * @throws KycError KYC_INVALID_ARGUMENT for a malformed certifier, id or lifetime.
 */
export async function createCollectionRequest(options: Readonly<CollectionRequestOptions>): Promise<string> {
  const lifetime = options.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_COLLECTION_REQUEST_LIFETIME_SECONDS) {
    throw new KycError(
      'KYC_INVALID_ARGUMENT',
      `collection request lifetime must be 1 to ${MAX_COLLECTION_REQUEST_LIFETIME_SECONDS} s`,
    );
  }
  if (!MSP_ID.test(options.certifier) || !CERTIFICATION_ID.test(options.certificationId)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'collection request: malformed certifier or certification id');
  }
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const payload: CollectionRequestPayload = {
    sub: options.personId,
    aud: options.certifier,
    certification_id: options.certificationId,
    iat,
    exp: iat + lifetime,
    jti: randomBytes(16).toString('base64url'),
  };
  parseCollectionRequestPayload({ ...payload });
  return signJws({ typ: TYP.collectionRequest }, { ...payload }, options.sign);
}

export interface VerifiedCollectionRequest {
  readonly payload: CollectionRequestPayload;
  /** The JWS id (hash of the signed bytes): what a certifier remembers to accept the request once. */
  readonly id: string;
}

/**
 * Verifies a collection request: `typ`, ES256 signature under the key its `sub` names, `aud` = `audience`,
 * `iat`/`exp` fresh with a lifetime of at most {@link MAX_COLLECTION_REQUEST_LIFETIME_SECONDS}. The caller
 * then checks that the certification it names is the `sub`'s and that the request was not used before.
 *
 * @throws KycError KYC_INVALID_ARGUMENT (malformed, wrong typ), KYC_BAD_SIGNATURE (not signed by `sub`),
 *   KYC_MISMATCH (another certifier), KYC_EXPIRED (expired).
 */
export function verifyCollectionRequest(
  token: unknown,
  expected: { readonly audience: string; readonly now: Date },
): VerifiedCollectionRequest {
  // The signature is checked against the key the payload names, so the payload is read first, unverified,
  // only to find that key; nothing else in it is trusted before the signature verifies.
  const unverified = parseCollectionRequestPayload(decodeJws(token, TYP.collectionRequest).payload);
  const jws = verifyJws(token, TYP.collectionRequest, publicKeyFromDidKey(unverified.sub));
  const payload = parseCollectionRequestPayload(jws.payload);
  if (payload.aud !== expected.audience) {
    throw new KycError('KYC_MISMATCH', 'the collection request is addressed to another certifier');
  }
  assertFresh(
    payload.iat,
    payload.exp,
    Math.floor(expected.now.getTime() / 1000),
    'collection request',
    MAX_COLLECTION_REQUEST_LIFETIME_SECONDS,
  );
  return { payload, id: jws.id };
}
