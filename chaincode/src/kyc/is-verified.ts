import type { Context } from 'fabric-contract-api';
import { parseMspListArgument, requireLevel, requirePersonId } from '../common/args';
import { toJson } from '../common/codec';
import { txTime } from '../common/tx-time';
import { activeCertifiers } from './consortium';
import { listAttestations } from './store';
import { chooseAttestation } from './verdict';

/**
 * IsVerified: whether a person holds an attestation that is active, inside its validity window at the
 * transaction time, from one of `trustedCertifiers` that is still an active certifier of the consortium, and
 * of at least `minLevel`. Open to every member of the
 * channel and to other chaincodes (`invokeChaincode('kyc', ['IsVerified', …], '')`).
 *
 * @param minLevelArgument `'1'`, `'2'` or `'3'`.
 * @param trustedArgument a JSON array of MSP ids, e.g. `'["CertifierMSP"]'`.
 * @returns `{ personId, verified: true, certifier, kind, level, validUntil, version }` or
 *   `{ personId, verified: false, reason }` as deterministic JSON.
 * @throws KycError KYC_INVALID_ARGUMENT.
 */
export async function isVerified(
  ctx: Context,
  personIdArgument: unknown,
  minLevelArgument: unknown,
  trustedArgument: unknown,
): Promise<string> {
  const { personId } = requirePersonId(personIdArgument);
  const minLevel = requireLevel(minLevelArgument, 'minLevel');
  const trustedCertifiers = new Set(parseMspListArgument(trustedArgument, 'trustedCertifiers'));
  const now = txTime(ctx);
  const records = await listAttestations(ctx, personId);
  // Only trusted certifiers' standing matters (the others fail first), so only theirs is read.
  const named = records.map((record) => record.certifier).filter((msp) => trustedCertifiers.has(msp));
  const choice = chooseAttestation(records, {
    trustedCertifiers,
    activeCertifiers: await activeCertifiers(ctx, named),
    minLevel,
    nowMillis: now.millis,
  });
  if (!choice.verified) {
    return toJson({ personId, verified: false, reason: choice.reason });
  }
  const { certifier, kind, level, validUntil, version } = choice.record;
  return toJson({ personId, verified: true, certifier, kind, level, validUntil, version });
}
