import type { Context } from 'fabric-contract-api';
import { KycError, NONCE } from '../../../protocol/src';
import { parseJsonArgument, requireDistinctStrings, requirePersonId } from '../common/args';
import { toJson, unmarshal } from '../common/codec';
import { parseInstant } from '../common/iso-time';
import { requireBankOnOwnPeer } from './access';
import { OBJECT_TYPE, implicitCollection, receiptKey } from './keys';

/** A bank's own verification receipts and usage, read from and erased in its implicit collection. */

interface StoredEntry {
  readonly key: string;
  readonly value: unknown;
}

async function listPrivate(
  ctx: Context,
  collection: string,
  objectType: string,
  attributes: string[],
  what: string,
): Promise<StoredEntry[]> {
  const entries: StoredEntry[] = [];
  for await (const entry of ctx.stub.getPrivateDataByPartialCompositeKey(collection, objectType, attributes)) {
    entries.push({ key: entry.key, value: unmarshal(entry.value, what) });
  }
  return entries;
}

/**
 * GetReceipts: the calling bank's receipts for one person, in key order (by registration id).
 *
 * @returns a JSON array of receipts.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT.
 */
export async function getReceipts(ctx: Context, personIdArgument: unknown): Promise<string> {
  const bank = await requireBankOnOwnPeer(ctx);
  const { personId } = requirePersonId(personIdArgument);
  const entries = await listPrivate(ctx, implicitCollection(bank), OBJECT_TYPE.receipt, [personId], 'receipt');
  return toJson(entries.map((entry) => entry.value));
}

/** Receipts one EraseReceipts transaction may purge. */
export const MAX_ERASED_RECEIPTS = 100;

/**
 * EraseReceipts: purges the named receipts of one person from the calling bank's implicit collection
 * (`purgePrivateData`: the values and their history leave the bank's peers; the hashes stay in the blocks).
 * The registration markers stay: they carry no person id and back GetUsage.
 *
 * The receipts are named (from GetReceipts) rather than found here, because Fabric refuses private-data
 * writes, purges included, in a transaction that ran a range query over private data. Each one is read by
 * key first; names without a receipt are skipped, so a retried erasure is harmless.
 *
 * @param registrationIdsArgument JSON array of the registration ids of the receipts to purge.
 * @returns `{ personId, erased }` as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT.
 */
export async function eraseReceipts(
  ctx: Context,
  personIdArgument: unknown,
  registrationIdsArgument: unknown,
): Promise<string> {
  const bank = await requireBankOnOwnPeer(ctx);
  const { personId } = requirePersonId(personIdArgument);
  const registrationIds = requireDistinctStrings(
    parseJsonArgument(registrationIdsArgument, 'registrationIds', 8192),
    'registrationIds',
    NONCE,
    MAX_ERASED_RECEIPTS,
    64,
  );
  const collection = implicitCollection(bank);
  let erased = 0;
  for (const registrationId of registrationIds) {
    const key = receiptKey(ctx, personId, registrationId);
    if ((await ctx.stub.getPrivateData(collection, key)).length > 0) {
      await ctx.stub.purgePrivateData(collection, key);
      erased++;
    }
  }
  return toJson({ personId, erased });
}

function optionalInstant(value: unknown, name: string): number | undefined {
  return value === '' ? undefined : parseInstant(value, name).millis;
}

function consumedAtMillis(value: unknown): number {
  const consumedAt = typeof value === 'object' && value !== null ? (value as { consumedAt?: unknown }).consumedAt : '';
  const millis = typeof consumedAt === 'string' ? Date.parse(consumedAt) : Number.NaN;
  if (Number.isNaN(millis)) {
    throw new KycError('KYC_INTERNAL', 'stored registration marker lacks consumedAt');
  }
  return millis;
}

/**
 * GetUsage: how many registrations the calling bank has consumed, optionally only those consumed in
 * `[from, to)` (ISO-8601 UTC; an empty string leaves that end open).
 *
 * @returns `{ bank, verifications, from, to }` as deterministic JSON (`from`/`to` echo the arguments).
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT.
 */
export async function getUsage(ctx: Context, from: unknown, to: unknown): Promise<string> {
  const bank = await requireBankOnOwnPeer(ctx);
  const start = optionalInstant(from, 'from');
  const end = optionalInstant(to, 'to');
  if (start !== undefined && end !== undefined && start > end) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'from must not be after to');
  }
  const markers = await listPrivate(ctx, implicitCollection(bank), OBJECT_TYPE.registration, [], 'registration');
  const verifications = markers.filter((marker) => {
    const millis = consumedAtMillis(marker.value);
    return (start === undefined || millis >= start) && (end === undefined || millis < end);
  }).length;
  return toJson({ bank, verifications, from, to });
}
