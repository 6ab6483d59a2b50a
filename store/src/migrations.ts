import type { SqlDriver, SqlExecutor } from './driver';
import { StoreError } from './errors';
import { TABLES } from './types';

/**
 * Versioned schema migrations, applied at open in one transaction and recorded in `schema_migrations`.
 * Migrations are only ever appended; a released one is never edited. A failing migration rolls back itself
 * and every other migration of that open, and the error names it.
 */

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** Statements per dialect, run in order. */
  readonly sqlite: readonly string[];
  readonly postgres: readonly string[];
}

function recordTable(table: string, blob: string): string[] {
  return [
    `CREATE TABLE ${table} (
      id TEXT PRIMARY KEY,
      status TEXT,
      person_id TEXT,
      ref TEXT UNIQUE,
      expires_at BIGINT,
      created_at BIGINT NOT NULL,
      version INTEGER NOT NULL DEFAULT 1,
      data TEXT NOT NULL,
      sealed TEXT,
      kek_id TEXT,
      dek ${blob}
    )`,
    `CREATE INDEX ${table}_status ON ${table} (status, created_at, id)`,
    `CREATE INDEX ${table}_person ON ${table} (person_id)`,
    `CREATE INDEX ${table}_expires ON ${table} (expires_at)`,
    `CREATE INDEX ${table}_kek ON ${table} (kek_id)`,
  ];
}

function initialSchema(blob: string): string[] {
  return [
    ...TABLES.flatMap((table) => recordTable(table, blob)),
    `CREATE TABLE store_keys (
      kek_id TEXT PRIMARY KEY,
      state TEXT NOT NULL CHECK (state IN ('active', 'retiring', 'retired', 'destroyed')),
      created_at BIGINT NOT NULL,
      retired_at BIGINT
    )`,
    // At most one active KEK: two replicas opening a fresh database cannot both install one.
    `CREATE UNIQUE INDEX store_keys_one_active ON store_keys (state) WHERE state = 'active'`,
  ];
}

/** Caps count records per owner (an officer's open registrations, a client's nonces). */
const ownerColumn = TABLES.flatMap((table) => [
  `ALTER TABLE ${table} ADD COLUMN owner TEXT`,
  `CREATE INDEX ${table}_owner ON ${table} (owner, status)`,
]);

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'record tables and key registry',
    sqlite: initialSchema('BLOB'),
    postgres: initialSchema('BYTEA'),
  },
  { version: 2, name: 'owner column for caps', sqlite: ownerColumn, postgres: ownerColumn },
];

const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;
/** Any constant: serialises concurrent opens of one PostgreSQL database (replicas starting together). */
const PG_MIGRATION_LOCK = 0x6b7963;

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new StoreError(
        'STORE_INVALID_ARGUMENT',
        `migration versions must be 1, 2, 3…; found ${m.version} at ${i + 1}`,
      );
    }
  });
}

async function applyOne(tx: SqlExecutor, dialect: SqlDriver['dialect'], migration: Migration): Promise<void> {
  try {
    for (const statement of migration[dialect]) {
      await tx.run(statement);
    }
    await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
      migration.version,
      migration.name,
      Date.now(),
    ]);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new StoreError(
      'STORE_MIGRATION_FAILED',
      `migration ${migration.version} (${migration.name}) failed and nothing was applied: ${why}`,
      { cause },
    );
  }
}

/**
 * Brings the schema up to date.
 *
 * @returns the versions applied now (empty when the schema was current).
 * @throws StoreError STORE_MIGRATION_FAILED (naming the migration) when one fails, or when the database has
 *   a migration this code does not know (it is newer than the code).
 */
export async function migrate(driver: SqlDriver, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  assertOrdered(migrations);
  return driver.transaction(async (tx) => {
    if (driver.dialect === 'postgres') {
      await tx.all('SELECT pg_advisory_xact_lock(?)', [PG_MIGRATION_LOCK]);
    }
    await tx.run(CREATE_LEDGER);
    const applied = (await tx.all('SELECT version FROM schema_migrations ORDER BY version')).map((r) =>
      Number(r.version),
    );
    const newest = applied.at(-1) ?? 0;
    if (newest > migrations.length) {
      throw new StoreError(
        'STORE_MIGRATION_FAILED',
        `the database has schema version ${newest}, newer than this code's ${migrations.length}`,
      );
    }
    const pending = migrations.slice(newest);
    for (const migration of pending) {
      await applyOne(tx, driver.dialect, migration);
    }
    return pending.map((m) => m.version);
  });
}
