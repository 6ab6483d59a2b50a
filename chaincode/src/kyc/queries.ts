import type { Context } from 'fabric-contract-api';
import { KycError, MSP_ID, RECORD_KIND } from '../../../protocol/src';
import { requireMatch, requirePersonId } from '../common/args';
import { toJson } from '../common/codec';
import { timestampMillis } from '../common/tx-time';
import { attestationKey } from './keys';
import { parseStoredAttestation } from './record';
import { listAttestations } from './store';

/** The key of the attestation named by `(personId, certifier, kind)`, after validating all three. */
function keyFromArguments(ctx: Context, personId: unknown, certifier: unknown, kind: unknown): string {
  return attestationKey(
    ctx,
    requirePersonId(personId).personId,
    requireMatch(certifier, 'certifier', MSP_ID, 64),
    requireMatch(kind, 'kind', RECORD_KIND, 32),
  );
}

/**
 * GetAttestation: one record.
 *
 * @returns the record as deterministic JSON.
 * @throws KycError KYC_INVALID_ARGUMENT, KYC_NOT_FOUND.
 */
export async function getAttestation(
  ctx: Context,
  personId: unknown,
  certifier: unknown,
  kind: unknown,
): Promise<string> {
  const bytes = await ctx.stub.getState(keyFromArguments(ctx, personId, certifier, kind));
  if (bytes.length === 0) {
    throw new KycError('KYC_NOT_FOUND', 'no such attestation');
  }
  // Checked like every stored record, then answered as stored: it was written as deterministic JSON by the
  // same codec, so serialising the parsed copy again would give the same text (docs/performance.md).
  parseStoredAttestation(bytes);
  return Buffer.from(bytes).toString('utf8');
}

/**
 * GetAttestations: every record about a person, all certifiers and kinds, in key order.
 *
 * @returns a JSON array (empty when there is none).
 * @throws KycError KYC_INVALID_ARGUMENT.
 */
export async function getAttestations(ctx: Context, personId: unknown): Promise<string> {
  return toJson(await listAttestations(ctx, requirePersonId(personId).personId));
}

/**
 * GetHistory: every committed version of one record, newest first (Fabric ≥ 2.0 history order, by block and
 * transaction height): `[{ txId, timestamp, isDelete, record }]` (`record` is null for a deletion).
 *
 * @throws KycError KYC_INVALID_ARGUMENT, KYC_NOT_FOUND (no history at all).
 */
export async function getHistory(ctx: Context, personId: unknown, certifier: unknown, kind: unknown): Promise<string> {
  const key = keyFromArguments(ctx, personId, certifier, kind);
  const entries: unknown[] = [];
  for await (const entry of ctx.stub.getHistoryForKey(key)) {
    entries.push({
      txId: entry.txId,
      timestamp: new Date(timestampMillis(entry.timestamp)).toISOString(),
      isDelete: entry.isDelete,
      record: entry.isDelete ? null : parseStoredAttestation(entry.value),
    });
  }
  if (entries.length === 0) {
    throw new KycError('KYC_NOT_FOUND', 'no such attestation');
  }
  return toJson(entries);
}
