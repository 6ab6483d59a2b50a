import type { Context } from 'fabric-contract-api';
import { KycError, NONCE, checkConsent, parseDisclosure } from '../../../protocol/src';
import type { ParsedDisclosure } from '../../../protocol/src';
import { requireMatch } from '../common/args';
import { marshal, toJson } from '../common/codec';
import { txTime } from '../common/tx-time';
import type { TxTime } from '../common/tx-time';
import { requireBankOnOwnPeer } from './access';
import { activeCertifiers } from './consortium';
import { attestationKey, implicitCollection, receiptKey, registrationKey } from './keys';
import { readCheckedPresentation } from './presentation-input';
import type { CheckedPresentation } from './presentation-input';
import type { Attestation } from './record';
import { readAttestation } from './store';
import { failedRequirement } from './verdict';

function mismatch(detail: string): never {
  throw new KycError('KYC_MISMATCH', detail);
}

/** Maps the shared verdict onto the codes VerifyPresentation reports. */
async function checkRecord(ctx: Context, record: Attestation, input: CheckedPresentation, now: TxTime): Promise<void> {
  const failed = failedRequirement(record, {
    trustedCertifiers: input.trustedCertifiers,
    activeCertifiers: await activeCertifiers(ctx, [record.certifier]),
    minLevel: input.minLevel,
    nowMillis: now.millis,
  });
  switch (failed) {
    case undefined:
      return;
    case 'untrusted-certifier':
      throw new KycError('KYC_UNTRUSTED', `certifier ${record.certifier} is not trusted by the caller`);
    case 'certifier-suspended':
      throw new KycError('KYC_UNTRUSTED', `certifier ${record.certifier} is suspended`);
    case 'level-too-low':
      throw new KycError('KYC_UNTRUSTED', `attestation level ${record.level} is below ${input.minLevel}`);
    case 'revoked':
      throw new KycError('KYC_REVOKED', 'the attestation has been revoked');
    case 'not-yet-valid':
    case 'expired':
      throw new KycError('KYC_EXPIRED', `the attestation is outside its validity window (${failed})`);
  }
}

function openDisclosure(disclosure: string, index: number, committed: ReadonlySet<string>): ParsedDisclosure {
  let parsed: ParsedDisclosure;
  try {
    parsed = parseDisclosure(disclosure);
  } catch {
    mismatch(`disclosure ${index} is not a well-formed disclosure`);
  }
  if (!committed.has(parsed.digest)) {
    mismatch(`disclosure ${index} is not committed in the attestation`);
  }
  return parsed;
}

/**
 * Opens every disclosure against the record's digests and returns the disclosed claim NAMES, sorted. The
 * values are dropped here: nothing downstream may see them. A claim the registration did not request is
 * refused, not ignored: selective disclosure exists to keep the bank from receiving more than it asked for.
 */
function disclosedClaimNames(input: CheckedPresentation, record: Attestation): string[] {
  const committed = new Set(record.digests);
  const names = input.disclosures.map((disclosure, index) => openDisclosure(disclosure, index, committed).name);
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) {
      mismatch(`claim '${name}' is disclosed more than once`);
    }
    if (!input.requestedClaims.has(name)) {
      mismatch(`claim '${name}' is disclosed but the registration did not request it`);
    }
    seen.add(name);
  }
  const missing = input.requiredClaims.find((name) => !seen.has(name));
  if (missing !== undefined) {
    mismatch(`required claim '${missing}' is not disclosed`);
  }
  return names.sort();
}

async function requireUnconsumed(ctx: Context, collection: string, key: string): Promise<void> {
  const bytes = await ctx.stub.getPrivateData(collection, key);
  if (bytes.length > 0) {
    throw new KycError('KYC_CONFLICT', 'this registration has already been used');
  }
}

/**
 * VerifyPresentation: a bank checks a person's presentation (transient `presentation`) against the ledger
 * and consumes the registration. Writes only to the bank's implicit collection: a registration marker and a
 * receipt holding claim names, never claim values. Emits no event (events are public).
 *
 * @returns `{ registrationId, verified: true, personId, certifier, kind, level, recordVersion, claims,
 *   validUntil, verifiedAt, txId }` as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT, KYC_BAD_SIGNATURE, KYC_MISMATCH, KYC_EXPIRED,
 *   KYC_CONFLICT, KYC_NOT_FOUND, KYC_UNTRUSTED, KYC_REVOKED.
 */
export async function verifyPresentation(ctx: Context, registrationIdArgument: unknown): Promise<string> {
  const bank = await requireBankOnOwnPeer(ctx);
  const registrationId = requireMatch(registrationIdArgument, 'registrationId', NONCE, 64);
  const input = readCheckedPresentation(ctx);
  const now = txTime(ctx);
  const { consentId } = checkConsent(input.consent, { ...input, bank, registrationId }, now.seconds);
  const collection = implicitCollection(bank);
  const markerKey = registrationKey(ctx, registrationId);
  await requireUnconsumed(ctx, collection, markerKey);
  const record = await readAttestation(ctx, attestationKey(ctx, input.personId, input.certifier, input.kind));
  if (record === undefined) {
    throw new KycError('KYC_NOT_FOUND', `no attestation of kind ${input.kind} by ${input.certifier} for this person`);
  }
  await checkRecord(ctx, record, input, now);
  const claims = disclosedClaimNames(input, record);
  const txId = ctx.stub.getTxID();
  const { personId, certifier, kind, level } = record;
  const marker = { registrationId, consumedAt: now.iso, txId, certifier, level };
  // What was confirmed: kept in the bank's receipt (with the consent's id) and returned (with the validity).
  const confirmed = {
    registrationId,
    personId,
    certifier,
    kind,
    level,
    recordVersion: record.version,
    claims,
    verifiedAt: now.iso,
    txId,
  };
  await ctx.stub.putPrivateData(collection, markerKey, marshal(marker));
  await ctx.stub.putPrivateData(
    collection,
    receiptKey(ctx, personId, registrationId),
    marshal({ ...confirmed, consentId }),
  );
  return toJson({ ...confirmed, verified: true, validUntil: record.validUntil });
}
