import type { Context } from 'fabric-contract-api';
import { KycError, RECORD_KIND } from '../../../protocol/src';
import { requireMatch, requirePersonId } from '../common/args';
import { toJson } from '../common/codec';
import { txTime } from '../common/tx-time';
import { requireCertifier } from './access';
import { emitAttestationChanged } from './events';
import { attestationKey } from './keys';
import { REVOCATION_REASONS } from './record';
import type { Attestation, RevocationReason } from './record';
import { readAttestation, writeAttestation } from './store';

function requireReason(value: unknown): RevocationReason {
  if (typeof value !== 'string' || !(REVOCATION_REASONS as readonly string[]).includes(value)) {
    throw new KycError('KYC_INVALID_ARGUMENT', `reason must be one of ${REVOCATION_REASONS.join(', ')}`);
  }
  return value as RevocationReason;
}

/**
 * Revoke: withdraws the calling certifier's own active attestation. Writes only the record, so the
 * certifier's peers alone satisfy its key-level endorsement policy.
 *
 * @returns the revoked record as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT, KYC_NOT_FOUND, KYC_REVOKED (already revoked).
 */
export async function revoke(
  ctx: Context,
  personIdArgument: unknown,
  kindArgument: unknown,
  reasonArgument: unknown,
): Promise<string> {
  const certifier = await requireCertifier(ctx);
  const now = txTime(ctx);
  const { personId } = requirePersonId(personIdArgument);
  const kind = requireMatch(kindArgument, 'kind', RECORD_KIND, 32);
  const reason = requireReason(reasonArgument);
  const key = attestationKey(ctx, personId, certifier, kind);
  const previous = await readAttestation(ctx, key);
  if (previous === undefined) {
    throw new KycError('KYC_NOT_FOUND', `no attestation of kind ${kind} by ${certifier} for this person`);
  }
  if (previous.status !== 'active') {
    throw new KycError('KYC_REVOKED', `the attestation of kind ${kind} by ${certifier} is already revoked`);
  }
  const record: Attestation = {
    ...previous,
    status: 'revoked',
    revocation: { reason, revokedAt: now.iso },
    version: previous.version + 1,
    updatedAt: now.iso,
  };
  await writeAttestation(ctx, key, record);
  emitAttestationChanged(ctx, record);
  return toJson(record);
}
