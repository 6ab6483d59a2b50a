import type * as Pg from 'pg';
import type { Row, SqlDriver, SqlExecutor, SqlValue } from './driver';
import { StoreError } from './errors';

/**
 * PostgreSQL through a pg Pool: the backend for several replicas of a service sharing one database. Each
 * operation of the store is one statement, so single use and compare-and-set are decided by PostgreSQL's row
 * locks, whichever replica asks. BIGINT columns come back as strings and are converted by the store.
 */

export interface PostgresOptions {
  /** `postgres://user:password@127.0.0.1:5433/kyc`; never logged. */
  readonly connectionString: string;
  /** Pool size (default 4). */
  readonly max?: number;
}

/** `?` → `$1, $2, …` (the store's statements never contain a literal question mark). */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

function executor(client: Pick<Pg.Pool, 'query'>): SqlExecutor {
  return {
    all: async (sql, params = []) => (await client.query(toPgPlaceholders(sql), params as SqlValue[])).rows as Row[],
    run: async (sql, params = []) => (await client.query(toPgPlaceholders(sql), params as SqlValue[])).rowCount ?? 0,
  };
}

class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;
  readonly #pool: Pg.Pool;
  readonly #executor: SqlExecutor;

  constructor(pool: Pg.Pool) {
    this.#pool = pool;
    this.#executor = executor(pool);
  }

  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.#executor.all(sql, params);
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<number> {
    return this.#executor.run(sql, params);
  }

  async transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(executor(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.#pool.end();
  }
}

/**
 * Opens a pool and checks the database answers.
 *
 * @throws StoreError STORE_DB_UNAVAILABLE when it does not (the message never contains the password).
 */
export async function openPostgresDriver(options: Readonly<PostgresOptions>): Promise<SqlDriver> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof Pg;
  const pool = new pg.Pool({ connectionString: options.connectionString, max: options.max ?? 4 });
  // An idle client's network error is reported here rather than crashing the process; the next query fails.
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (cause) {
    await pool.end().catch(() => undefined);
    const host = new URL(options.connectionString).host;
    throw new StoreError('STORE_DB_UNAVAILABLE', `PostgreSQL at ${host} is not available`, { cause });
  }
  return new PostgresDriver(pool);
}
