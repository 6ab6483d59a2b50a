import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KycStore, NewRecord, TableName } from '../../../store/src';

/**
 * Upgrading an install that kept its state in JSON files (before the store): at the first start with a store,
 * each file's records are inserted with `insertMany` (one transaction, insert-if-absent, so a second replica
 * or a retry after a crash imports nothing twice), then the file is renamed to `<file>.imported` (still
 * owner-only; delete it once the upgrade is checked), or removed when it held nothing.
 */

/** One JSON file of the old state and how its records map to store records. */
export interface JsonImport {
  readonly file: string;
  /** Records per table; an empty list means the file holds nothing to keep. */
  readonly records: (document: unknown) => Partial<Record<TableName, readonly NewRecord[]>>;
}

/** Imports the files that exist under `dataDir`; returns the number of records inserted. */
export async function importJsonState(
  store: KycStore,
  dataDir: string,
  imports: readonly JsonImport[],
): Promise<number> {
  let inserted = 0;
  for (const { file, records } of imports) {
    const path = join(dataDir, file);
    if (!existsSync(path)) continue;
    const tables = records(JSON.parse(readFileSync(path, 'utf8')) as unknown);
    let held = 0;
    for (const [table, rows] of Object.entries(tables) as [TableName, readonly NewRecord[]][]) {
      held += rows.length;
      if (rows.length > 0) inserted += await store.insertMany(table, rows);
    }
    if (held === 0) rmSync(path);
    else renameSync(path, `${path}.imported`);
  }
  return inserted;
}

/** The old `officers.json` ({ officers: { name: { name, tokenDigest, createdAt } } }). */
export const OFFICERS_JSON: JsonImport = {
  file: 'officers.json',
  records: (document) => {
    const officers = Object.values((document as { officers?: Record<string, OldOfficer> }).officers ?? {});
    return {
      officers: officers.map((o) => ({
        id: o.name,
        ref: o.tokenDigest,
        status: 'active',
        createdAt: Date.parse(o.createdAt),
        data: { createdAt: o.createdAt },
      })),
    };
  },
};

interface OldOfficer {
  readonly name: string;
  readonly tokenDigest: string;
  readonly createdAt: string;
}

/** A file whose content the store derives from other records (e.g. the bank's open-registration counts). */
export const derivedFile = (file: string): JsonImport => ({ file, records: () => ({}) });
