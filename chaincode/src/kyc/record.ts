import { KycError } from '../../../protocol/src';
import type { AssuranceLevel } from '../../../protocol/src';
import { unmarshal } from '../common/codec';

/** Why a certifier withdrew an attestation. */
export const REVOCATION_REASONS = [
  /** The person's data changed (new address, new name): a new verification is needed. */
  'data-changed',
  /** The certifier suspects the verification was obtained by fraud. */
  'fraud-suspected',
  /** The person asked the certifier to withdraw it. */
  'person-request',
  /** The certifier made a mistake when verifying. */
  'certifier-error',
  /** Any other reason, kept out of the public ledger. */
  'other',
] as const;

export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export const ATTESTATION_DOC_TYPE = 'kyc.attestation';

/**
 * One certifier's attestation of one kind about one person, as the ledger stores it. It holds no personal
 * data: only salted digests of the claims the certifier verified.
 */
export interface Attestation {
  readonly docType: typeof ATTESTATION_DOC_TYPE;
  /** The person's did:key. */
  readonly personId: string;
  /** MSP id of the certifier organisation that owns the record. */
  readonly certifier: string;
  readonly kind: string;
  readonly schema: string;
  readonly level: AssuranceLevel;
  readonly alg: 'sha-256';
  /** Sorted, distinct base64url SHA-256 digests of the disclosures (decoys allowed). */
  readonly digests: readonly string[];
  readonly validFrom: string;
  readonly validUntil: string;
  readonly status: 'active' | 'revoked';
  readonly revocation?: { readonly reason: RevocationReason; readonly revokedAt: string };
  /** 1 on creation, +1 on every change. */
  readonly version: number;
  /** The person's certification-request JWS behind the latest (re)certification. */
  readonly request: string;
  /** `DecodedJws.id` of `request`. */
  readonly requestId: string;
  /** `getID()` of the certifier's officer who submitted the latest (re)certification. */
  readonly certifiedBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const STRING_FIELDS = [
  'personId',
  'certifier',
  'kind',
  'schema',
  'validFrom',
  'validUntil',
  'request',
  'requestId',
  'certifiedBy',
  'createdAt',
  'updatedAt',
] as const;

function looksLikeAttestation(value: Record<string, unknown>): boolean {
  return (
    value.docType === ATTESTATION_DOC_TYPE &&
    value.alg === 'sha-256' &&
    (value.status === 'active' || value.status === 'revoked') &&
    [1, 2, 3].includes(value.level as number) &&
    Number.isSafeInteger(value.version) &&
    Array.isArray(value.digests) &&
    STRING_FIELDS.every((field) => typeof value[field] === 'string')
  );
}

/**
 * Reads an attestation back from ledger bytes, checking that it has the shape this chaincode writes.
 *
 * @throws KycError KYC_INTERNAL when the stored value is not an attestation.
 */
export function parseStoredAttestation(bytes: Uint8Array): Attestation {
  const value = unmarshal(bytes, 'attestation');
  if (typeof value !== 'object' || value === null || !looksLikeAttestation(value as Record<string, unknown>)) {
    throw new KycError('KYC_INTERNAL', 'stored attestation has an unexpected shape');
  }
  return value as Attestation;
}
