import type { Context } from 'fabric-contract-api';
import { KycError } from '../../../protocol/src';
import { requirePersonId } from '../common/args';
import { toJson, unmarshal } from '../common/codec';
import { parseInstant } from '../common/iso-time';
import { requireBankOnOwnPeer } from './access';
import type { AccessPolicy } from './access';
import { OBJECT_TYPE, implicitCollection } from './keys';

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
export async function getReceipts(ctx: Context, policy: AccessPolicy, personIdArgument: unknown): Promise<string> {
  const bank = requireBankOnOwnPeer(ctx, policy);
  const { personId } = requirePersonId(personIdArgument);
  const entries = await listPrivate(ctx, implicitCollection(bank), OBJECT_TYPE.receipt, [personId], 'receipt');
  return toJson(entries.map((entry) => entry.value));
}

/**
 * EraseReceipts: purges every receipt of one person from the calling bank's implicit collection
 * (`purgePrivateData`: the values and their history leave the bank's peers; the hashes stay in the blocks).
 * The registration markers stay: they carry no person id and back GetUsage.
 *
 * @returns `{ personId, erased }` as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT.
 */
export async function eraseReceipts(ctx: Context, policy: AccessPolicy, personIdArgument: unknown): Promise<string> {
  const bank = requireBankOnOwnPeer(ctx, policy);
  const { personId } = requirePersonId(personIdArgument);
  const collection = implicitCollection(bank);
  const entries = await listPrivate(ctx, collection, OBJECT_TYPE.receipt, [personId], 'receipt');
  for (const entry of entries) {
    await ctx.stub.purgePrivateData(collection, entry.key);
  }
  return toJson({ personId, erased: entries.length });
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
export async function getUsage(ctx: Context, policy: AccessPolicy, from: unknown, to: unknown): Promise<string> {
  const bank = requireBankOnOwnPeer(ctx, policy);
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
