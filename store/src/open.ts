import { join } from 'node:path';
import { isHsmError, type Hsm, type HsmToken } from '../../gateway/src/hsm';
import type { SqlDriver } from './driver';
import { StoreError } from './errors';
import type { Migration } from './migrations';
import { openPostgresDriver } from './postgres';
import { SqlStore } from './sql-store';
import { openSqliteDriver } from './sqlite';
import type { KycStore } from './types';

/** Where the store keeps its records. */
export type StoreBackendOptions =
  | { readonly backend: 'sqlite'; readonly path: string }
  | { readonly backend: 'postgres'; readonly connectionString: string; readonly poolSize?: number };

/** The organisation's HSM token holding the key-encryption key. */
export interface StoreEncryptionOptions {
  readonly hsm: Hsm;
  readonly tokenLabel: string;
  readonly pin: string;
  /** CKA_LABEL of the KEKs the store generates (default `kyc-store-kek`). */
  readonly kekLabel?: string;
}

export interface OpenStoreOptions {
  readonly database: StoreBackendOptions;
  /** Encrypt personal fields under an HSM KEK. Omitted only by tests and benchmarks that measure without it. */
  readonly encryption?: StoreEncryptionOptions;
  /** Schema migrations (default {@link MIGRATIONS}); tests pass their own. */
  readonly migrations?: readonly Migration[];
}

/** The default SQLite file of a service: `<dataDir>/state.sqlite`. */
export function sqlitePathFor(dataDir: string): string {
  return join(dataDir, 'state.sqlite');
}

async function openToken(options: StoreEncryptionOptions): Promise<HsmToken> {
  try {
    return await options.hsm.openToken({ label: options.tokenLabel, pin: options.pin });
  } catch (cause) {
    const why = isHsmError(cause)
      ? ` (${cause.code}${cause.returnValue === undefined ? '' : `, ${cause.returnValue}`})`
      : '';
    throw new StoreError('STORE_HSM_UNAVAILABLE', `HSM token '${options.tokenLabel}' is not available${why}`, {
      cause,
    });
  }
}

function openDriver(database: StoreBackendOptions): Promise<SqlDriver> {
  return database.backend === 'sqlite'
    ? Promise.resolve(openSqliteDriver({ path: database.path }))
    : openPostgresDriver({ connectionString: database.connectionString, max: database.poolSize });
}

/**
 * Opens the store: connects, applies pending migrations, and for an encrypted store opens the HSM token and
 * checks (or installs) the active KEK. Nothing is written to records before all of that succeeded.
 *
 * @throws StoreError STORE_DB_UNAVAILABLE, STORE_MIGRATION_FAILED, STORE_HSM_UNAVAILABLE (token absent, PIN
 *   wrong), STORE_KEY_MISSING (the database names a KEK the token lacks).
 */
export async function openStore(options: Readonly<OpenStoreOptions>): Promise<KycStore> {
  const token = options.encryption === undefined ? undefined : await openToken(options.encryption);
  let driver: SqlDriver | undefined;
  try {
    driver = await openDriver(options.database);
    const keys = token === undefined ? undefined : { token, kekLabel: options.encryption?.kekLabel ?? 'kyc-store-kek' };
    const store = await SqlStore.open({ driver, keys, migrations: options.migrations });
    return token === undefined ? store : withTokenClose(store, token);
  } catch (error) {
    await driver?.close().catch(() => undefined);
    await token?.close();
    throw error;
  }
}

/** Closing the store also releases its handle on the token. */
function withTokenClose(store: KycStore, token: HsmToken): KycStore {
  const close = store.close.bind(store);
  return Object.assign(store, {
    close: async (): Promise<void> => {
      await close();
      await token.close();
    },
  });
}
