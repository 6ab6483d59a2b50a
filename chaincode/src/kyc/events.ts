import type { Context } from 'fabric-contract-api';
import { marshal } from '../common/codec';
import type { Attestation } from './record';

/** Name of the chaincode event emitted whenever an attestation is created, renewed or revoked. */
export const ATTESTATION_CHANGED = 'kyc.AttestationChanged';

/**
 * Emits `kyc.AttestationChanged` `{ personId, certifier, kind, version, status }`. Events are public, so the
 * payload carries nothing that the public record does not already show.
 */
export function emitAttestationChanged(ctx: Context, record: Attestation): void {
  const { personId, certifier, kind, version, status } = record;
  ctx.stub.setEvent(ATTESTATION_CHANGED, marshal({ personId, certifier, kind, version, status }));
}
