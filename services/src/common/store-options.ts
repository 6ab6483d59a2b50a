import type { StoreConfig } from '../config';
import { readPinFile, type OrgConfig } from '../../../gateway/src/fabric';
import type { Hsm } from '../../../gateway/src/hsm';
import { StoreError, sqlitePathFor, type OpenStoreOptions } from '../../../store/src';

/**
 * How a service (and `./kyc rotate-key`) opens its store: PostgreSQL when `KYC_DB_URL` is set, else SQLite in
 * the service's data directory; personal fields encrypted under the KEK in the org's `<org>-clients` token.
 * Built at every open attempt, so the PIN file is read then and never kept.
 */
export function storeOpenOptions(store: StoreConfig, dataDir: string, org: OrgConfig, hsm: Hsm): OpenStoreOptions {
  return {
    database:
      store.databaseUrl === undefined
        ? { backend: 'sqlite', path: sqlitePathFor(dataDir) }
        : { backend: 'postgres', connectionString: store.databaseUrl },
    // Plaintext only for the benchmark's comparison (KYC_BENCH_PLAINTEXT_STORE=1); production always encrypts.
    ...(store.plaintext
      ? {}
      : { encryption: { hsm, tokenLabel: org.hsm.tokenLabel, pin: readStorePin(store.pinFile ?? org.hsm.pinFile) } }),
  };
}

function readStorePin(path: string): string {
  try {
    return readPinFile(path);
  } catch (cause) {
    throw new StoreError('STORE_HSM_UNAVAILABLE', `the store's PIN file cannot be read`, { cause });
  }
}
