import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { Row, SqlDriver, SqlExecutor, SqlValue } from './driver';
import { StoreError } from './errors';

/**
 * SQLite through better-sqlite3: the default backend, one file in the service's data directory.
 *
 * - WAL: readers never block the writer, and a commit is one append to the log.
 * - synchronous=FULL: every commit is fsynced before it returns. NORMAL in WAL mode can lose the last
 *   transactions on power loss, and a lost "consumed" would make a nonce or registration usable twice.
 * - The file (and its -wal/-shm, which SQLite creates with the database's mode) is 0600 and the directory 0700:
 *   it holds officers' token digests and, unencrypted stores aside, only ciphertext of personal data.
 * - better-sqlite3 is synchronous, so each statement is atomic in this process; `busy_timeout` makes another
 *   process's writer wait instead of failing.
 */

export interface SqliteOptions {
  /** The database file; created (mode 0600) with its directory (mode 0700) when absent. */
  readonly path: string;
  /** How long a statement waits for another process's write lock, ms (default 5,000). */
  readonly busyTimeoutMs?: number;
}

function loadDriver(): typeof BetterSqlite3 {
  // Loaded on open only, so importing the store costs nothing for code that never opens SQLite.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('better-sqlite3') as typeof BetterSqlite3;
}

function createOwnerOnly(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) {
    closeSync(openSync(path, 'a', 0o600));
  }
  chmodSync(path, 0o600);
}

class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  /** A transaction in progress: other callers wait for it, since they share the one connection. */
  #transaction: Promise<unknown> | undefined;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  async all(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> {
    await this.#idle();
    return this.#all(sql, params);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    await this.#idle();
    return this.#run(sql, params);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    await this.#idle();
    const tx: SqlExecutor = {
      all: (sql, params = []) => Promise.resolve(this.#all(sql, params)),
      run: (sql, params = []) => Promise.resolve(this.#run(sql, params)),
    };
    const running = (async (): Promise<T> => {
      this.#db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(tx);
        this.#db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw error;
      }
    })();
    this.#transaction = running;
    try {
      return await running;
    } finally {
      this.#transaction = undefined;
    }
  }

  close(): Promise<void> {
    this.#statements.clear();
    this.#db.close();
    return Promise.resolve();
  }

  async #idle(): Promise<void> {
    while (this.#transaction !== undefined) {
      await this.#transaction.catch(() => undefined);
    }
  }

  #prepare(sql: string): BetterSqlite3.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #all(sql: string, params: readonly SqlValue[]): Row[] {
    const statement = this.#prepare(sql);
    if (!statement.reader) {
      statement.run(...params);
      return [];
    }
    return statement.all(...params) as Row[];
  }

  #run(sql: string, params: readonly SqlValue[]): number {
    const statement = this.#prepare(sql);
    return statement.reader ? statement.all(...params).length : statement.run(...params).changes;
  }
}

/**
 * Opens (creating when absent) a SQLite database for the store.
 *
 * @throws StoreError STORE_DB_UNAVAILABLE when the file cannot be opened or is not a database.
 */
export function openSqliteDriver(options: Readonly<SqliteOptions>): SqlDriver {
  const Database = loadDriver();
  try {
    createOwnerOnly(options.path);
    const db = new Database(options.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    return new SqliteDriver(db);
  } catch (cause) {
    throw new StoreError('STORE_DB_UNAVAILABLE', `cannot open the SQLite database ${options.path}`, { cause });
  }
}
