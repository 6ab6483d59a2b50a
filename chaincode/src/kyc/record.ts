import { ATTESTATION_DOC_TYPE, KycError, type Attestation } from '../../../protocol/src';
import { unmarshal } from '../common/codec';

// The record's shape is part of the protocol (clients read it): defined once in protocol/src/attestation.ts.
export { ATTESTATION_DOC_TYPE, REVOCATION_REASONS } from '../../../protocol/src';
export type { Attestation, RevocationReason } from '../../../protocol/src';

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
