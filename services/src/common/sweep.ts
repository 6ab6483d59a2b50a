import type { KycStore, TableName } from '../../../store/src';

/**
 * Retention sweeps over a table's expired records (`listExpired`), by status: `'delete'` removes the record
 * (first moved to `expired` with a compare-and-set, so a record decided meanwhile is left alone), a list of
 * field names drops those personal fields and clears the expiry. Records in other statuses are left alone.
 * Each step is one statement, so replicas sweeping at once do no harm.
 */
export type SweepPolicy = Readonly<Record<string, 'delete' | readonly string[]>>;

const EXPIRED = 'expired';
const BATCH = 200;

/** Sweeps until no expired record is left that the policy covers (at most 50 batches per call); returns the number handled. */
export async function sweepExpired(
  store: KycStore,
  table: TableName,
  now: number,
  policy: SweepPolicy,
): Promise<number> {
  let handled = 0;
  for (let batch = 0; batch < 50; batch++) {
    const records = await store.listExpired(table, now, BATCH);
    let progressed = 0;
    for (const record of records) {
      const status = record.status ?? '';
      const action = status === EXPIRED ? 'delete' : policy[status];
      if (action === undefined) continue;
      progressed += (await sweepOne(store, table, record.id, status, action, now)) ? 1 : 0;
    }
    handled += progressed;
    if (records.length < BATCH || progressed === 0) break;
  }
  return handled;
}

async function sweepOne(
  store: KycStore,
  table: TableName,
  id: string,
  status: string,
  action: 'delete' | readonly string[],
  now: number,
): Promise<boolean> {
  if (action !== 'delete') {
    const done = await store.transition(table, id, {
      from: status,
      to: status,
      removePersonal: action,
      expiresAt: null,
    });
    return done !== undefined;
  }
  if (status !== EXPIRED) {
    const moved = await store.transition(table, id, { from: status, to: EXPIRED, expiresAt: now });
    if (moved === undefined) return false;
  }
  return (await store.consume(table, id)) !== undefined;
}
