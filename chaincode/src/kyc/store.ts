import type { Context } from 'fabric-contract-api';
import { marshal } from '../common/codec';
import { OBJECT_TYPE } from './keys';
import { parseStoredAttestation } from './record';
import type { Attestation } from './record';

/** Reads and writes of attestation records in public state, always through the one codec. */

/**
 * The attestation stored under `key`, or `undefined` when there is none.
 *
 * @throws KycError KYC_INTERNAL when the stored value is not an attestation.
 */
export async function readAttestation(ctx: Context, key: string): Promise<Attestation | undefined> {
  const bytes = await ctx.stub.getState(key);
  return bytes.length === 0 ? undefined : parseStoredAttestation(bytes);
}

/** Writes `record` under `key`. */
export async function writeAttestation(ctx: Context, key: string, record: Attestation): Promise<void> {
  await ctx.stub.putState(key, marshal(record));
}

/**
 * Every attestation about `personId`, in key order (certifier, then kind).
 *
 * @throws KycError KYC_INTERNAL when a stored value is not an attestation.
 */
export async function listAttestations(ctx: Context, personId: string): Promise<Attestation[]> {
  const records: Attestation[] = [];
  for await (const entry of ctx.stub.getStateByPartialCompositeKey(OBJECT_TYPE.attestation, [personId])) {
    records.push(parseStoredAttestation(entry.value));
  }
  return records;
}

/** True when public state holds a value under `key`. */
export async function stateExists(ctx: Context, key: string): Promise<boolean> {
  const bytes = await ctx.stub.getState(key);
  return bytes.length > 0;
}
