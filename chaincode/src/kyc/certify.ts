import type { Context } from 'fabric-contract-api';
import { KycError, RECORD_KIND, checkCertificationRequest, recordExistsDetail } from '../../../protocol/src';
import type { CheckedCertificationRequest } from '../../../protocol/src';
import { requireMatch, requirePersonId } from '../common/args';
import { marshal, toJson } from '../common/codec';
import { txTime } from '../common/tx-time';
import type { TxTime } from '../common/tx-time';
import { requireCertifier } from './access';
import { parseCommitment } from './commitment';
import type { Commitment } from './commitment';
import { setKeyEndorsers } from './endorsement';
import { emitAttestationChanged } from './events';
import { attestationKey, requestKey } from './keys';
import { ATTESTATION_DOC_TYPE } from './record';
import type { Attestation } from './record';
import { readAttestation, stateExists, writeAttestation } from './store';

/** Raw arguments of Certify and Renew, exactly as the transaction received them. */
export interface CertificationArguments {
  readonly personId: unknown;
  readonly requestJws: unknown;
  readonly commitment: unknown;
}

/** Everything Certify and Renew check before they write, in the order they check it. */
interface Certification {
  readonly certifier: string;
  readonly now: TxTime;
  readonly personId: string;
  readonly commitment: Commitment;
  readonly request: CheckedCertificationRequest & { readonly jws: string };
  readonly recordKey: string;
  readonly requestKey: string;
}

async function checkCertification(
  ctx: Context,
  args: CertificationArguments,
  /** Renew's kind (the request must name it); undefined for Certify. */
  renewKind?: string,
): Promise<Certification> {
  const certifier = await requireCertifier(ctx);
  const now = txTime(ctx);
  const { personId, publicKey } = requirePersonId(args.personId);
  const commitment = parseCommitment(args.commitment, now);
  const checked = checkCertificationRequest(
    args.requestJws,
    { personId, publicKey, certifier, ...(renewKind === undefined ? {} : { kind: renewKind }) },
    now.seconds,
  );
  const request = { ...checked, jws: args.requestJws as string };
  const usedKey = requestKey(ctx, request.requestId);
  // Certify skips this read on its happy path (one state round trip fewer, docs/performance.md): a request
  // names its person, certifier and kind, so once used, by Certify or Renew, its record exists, and records are
  // never deleted; Certify refuses an existing record and only then asks which refusal it is.
  if (renewKind !== undefined) await refuseUsedRequest(ctx, usedKey);
  const recordKey = attestationKey(ctx, personId, certifier, request.payload.kind);
  return { certifier, now, personId, commitment, request, recordKey, requestKey: usedKey };
}

async function refuseUsedRequest(ctx: Context, usedKey: string): Promise<void> {
  if (await stateExists(ctx, usedKey)) {
    throw new KycError('KYC_CONFLICT', 'this certification request has already been used');
  }
}

function buildRecord(ctx: Context, c: Certification, previous: Attestation | undefined): Attestation {
  return {
    docType: ATTESTATION_DOC_TYPE,
    personId: c.personId,
    certifier: c.certifier,
    kind: c.request.payload.kind,
    ...c.commitment,
    alg: 'sha-256',
    // A fresh verification replaces the previous state, revocation included.
    status: 'active',
    version: previous === undefined ? 1 : previous.version + 1,
    request: c.request.jws,
    requestId: c.request.requestId,
    certifiedBy: ctx.clientIdentity.getID(),
    createdAt: previous?.createdAt ?? c.now.iso,
    updatedAt: c.now.iso,
  };
}

async function writeCertification(ctx: Context, c: Certification, record: Attestation): Promise<void> {
  await writeAttestation(ctx, c.recordKey, record);
  const marker = {
    docType: 'kyc.request',
    requestId: c.request.requestId,
    personId: c.personId,
    certifier: c.certifier,
    kind: record.kind,
    txId: ctx.stub.getTxID(),
    usedAt: c.now.iso,
  };
  await ctx.stub.putState(c.requestKey, marshal(marker));
  emitAttestationChanged(ctx, record);
}

/**
 * Certify: records a new attestation (version 1) for the calling certifier, marks the person's request as
 * used, and makes the record's key-level endorsement policy the certifier's own peers.
 *
 * @returns the record as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT, KYC_BAD_SIGNATURE, KYC_MISMATCH, KYC_EXPIRED,
 *   KYC_CONFLICT (request used, or the record exists: use Renew).
 */
export async function certify(ctx: Context, args: CertificationArguments): Promise<string> {
  const c = await checkCertification(ctx, args);
  if (await stateExists(ctx, c.recordKey)) {
    await refuseUsedRequest(ctx, c.requestKey);
    throw new KycError('KYC_CONFLICT', recordExistsDetail(c.request.payload.kind, c.certifier));
  }
  const record = buildRecord(ctx, c, undefined);
  await writeCertification(ctx, c, record);
  await setKeyEndorsers(ctx, c.recordKey, c.certifier);
  return toJson(record);
}

/**
 * Renew: replaces the calling certifier's own attestation with a fresh verification (new digests, window,
 * level), version + 1, status active again, and marks the new request as used.
 *
 * @returns the record as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT, KYC_BAD_SIGNATURE, KYC_MISMATCH (also when the
 *   request's kind is not `kind`), KYC_EXPIRED, KYC_CONFLICT (request used), KYC_NOT_FOUND.
 */
export async function renew(ctx: Context, kindArgument: unknown, args: CertificationArguments): Promise<string> {
  const kind = requireMatch(kindArgument, 'kind', RECORD_KIND, 32);
  const c = await checkCertification(ctx, args, kind);
  // The key is built from the caller's own MSP id, so only the certifier's own record can be found.
  const previous = await readAttestation(ctx, c.recordKey);
  if (previous === undefined) {
    throw new KycError('KYC_NOT_FOUND', `no attestation of kind ${kind} by ${c.certifier} for this person`);
  }
  const record = buildRecord(ctx, c, previous);
  await writeCertification(ctx, c, record);
  return toJson(record);
}
