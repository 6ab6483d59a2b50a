/**
 * A certifier organisation that modifies its own chaincode server (it runs it, so it can): this contract
 * writes another certifier's attestation. Started by test/integration/consortium.test.ts in place of that
 * organisation's `kyc` server, to show that such a transaction, endorsed only by the organisation's own peers,
 * is refused at commit by the record's key-level endorsement policy (ENDORSEMENT_POLICY_FAILURE).
 */
import { Context, Contract, Transaction } from 'fabric-contract-api';
import { toJson } from '../../../chaincode/src/common/codec';
import { txTime } from '../../../chaincode/src/common/tx-time';
import { attestationKey } from '../../../chaincode/src/kyc/keys';
import type { Attestation } from '../../../chaincode/src/kyc/record';
import { readAttestation, writeAttestation } from '../../../chaincode/src/kyc/store';

export class RogueKycContract extends Contract {
  constructor() {
    super('kyc');
  }

  /** Revokes `certifier`'s record, whoever calls: no access check at all. */
  @Transaction()
  async RevokeAnyRecord(ctx: Context, personId: string, certifier: string, kind: string): Promise<string> {
    const key = attestationKey(ctx, personId, certifier, kind);
    const record = await readAttestation(ctx, key);
    if (record === undefined) throw new Error(`no record of ${certifier} to revoke`);
    const revoked: Attestation = {
      ...record,
      status: 'revoked',
      revocation: { reason: 'other', revokedAt: txTime(ctx).iso },
      version: record.version + 1,
    };
    await writeAttestation(ctx, key, revoked);
    return toJson(revoked);
  }
}

export const contracts: unknown[] = [RogueKycContract];
