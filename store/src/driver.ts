/**
 * The little the store needs from a database: statements with `?` placeholders (rewritten to `$n` for
 * PostgreSQL), rows as plain objects, and a transaction on one connection. Two implementations: SQLite
 * (better-sqlite3) and PostgreSQL (pg Pool).
 */

export type SqlValue = string | number | Buffer | null;
export type Row = Record<string, unknown>;

/** Statements on one connection (or, outside a transaction, on any of the pool's). */
export interface SqlExecutor {
  /** The rows of a query or of a statement with RETURNING. */
  all(sql: string, params?: readonly SqlValue[]): Promise<Row[]>;
  /** Executes a statement; returns the number of rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
}

export interface SqlDriver extends SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs `work` in one transaction (BEGIN … COMMIT, ROLLBACK on any error) on one connection. */
  transaction<T>(work: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
