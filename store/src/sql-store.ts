import { isHsmError, type HsmToken } from '../../gateway/src/hsm';
import type { Row, SqlDriver, SqlValue } from './driver';
import {
  HsmEnvelope,
  PLAINTEXT_ENVELOPE,
  dekAad,
  fromHsmError,
  unwrapDek,
  wrapDek,
  type Envelope,
  type SealedColumns,
} from './envelope';
import { StoreError } from './errors';
import { migrate, type Migration } from './migrations';
import {
  TABLES,
  type CountFilter,
  type JsonObject,
  type KycStore,
  type NewRecord,
  type RotationResult,
  type StoredRecord,
  type TableName,
  type Transition,
} from './types';

/**
 * The store over either database. Every operation that decides something (insert-if-absent, consume,
 * compare-and-set) is a single SQL statement, so the database's constraint or row lock decides it, never this
 * process's memory: the same holds with two processes or replicas on one PostgreSQL database.
 */

const COLUMNS = 'id, status, person_id, ref, owner, expires_at, created_at, version, data, sealed, kek_id, dek';
const MAX_ID = 256;
const MAX_LIST = 1000;
/** Retries of a transition whose record changed between read and write but is still in the `from` status. */
const CAS_ATTEMPTS = 3;
/** How long the active KEK id is reused before it is read again (another replica may have rotated). */
const KEK_CACHE_MS = 1000;

/** The HSM side of an encrypted store: the token and the label new KEKs get. */
export interface KeyManager {
  readonly token: HsmToken;
  readonly kekLabel: string;
}

export interface SqlStoreOptions {
  readonly driver: SqlDriver;
  /** Encrypts personal fields under a KEK in this token; without it they are stored as plain JSON. */
  readonly keys?: KeyManager;
  readonly migrations?: readonly Migration[];
  readonly now?: () => number;
}

// ON CONFLICT DO NOTHING: a duplicate id or ref is an answer (nothing inserted), not an error.
const insertSql = (table: TableName): string =>
  `INSERT INTO ${table} (id, status, person_id, ref, owner, expires_at, created_at, version, data, sealed, kek_id, dek)
   VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;

function assertTable(table: unknown): asserts table is TableName {
  if (!(TABLES as readonly unknown[]).includes(table)) {
    throw new StoreError('STORE_INVALID_ARGUMENT', `unknown table '${String(table)}'`);
  }
}

function assertText(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID) {
    throw new StoreError('STORE_INVALID_ARGUMENT', `${what} must be a string of 1 to ${MAX_ID} characters`);
  }
}

function optionalText(value: string | undefined, what: string): string | null {
  if (value === undefined) return null;
  assertText(value, what);
  return value;
}

function assertLimit(limit: number, max = MAX_LIST): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > max) {
    throw new StoreError('STORE_INVALID_ARGUMENT', `a limit must be an integer from 1 to ${max}`);
  }
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const integer = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function sealedColumns(row: Row): SealedColumns {
  return {
    sealed: text(row.sealed),
    kekId: text(row.kek_id),
    dek: Buffer.isBuffer(row.dek) ? row.dek : null,
  };
}

/**
 * The sealed columns without some personal fields. Each field is sealed on its own, so dropping one needs no
 * key; when none is left, the data key goes too.
 */
function withoutFields(columns: SealedColumns, fields: readonly string[]): SealedColumns {
  if (fields.length === 0 || columns.sealed === null) return columns;
  let parsed: unknown;
  try {
    parsed = JSON.parse(columns.sealed);
  } catch (cause) {
    throw new StoreError('STORE_TAMPERED', 'sealed fields are not valid JSON', { cause });
  }
  const rest = Object.entries(parsed as Record<string, unknown>).filter(([field]) => !fields.includes(field));
  return rest.length === 0
    ? { sealed: null, kekId: null, dek: null }
    : { ...columns, sealed: JSON.stringify(Object.fromEntries(rest)) };
}

function parseData(row: Row): JsonObject {
  try {
    return JSON.parse(String(row.data)) as JsonObject;
  } catch (cause) {
    throw new StoreError('STORE_TAMPERED', 'a record document is not valid JSON', { cause });
  }
}

export class SqlStore implements KycStore {
  readonly #driver: SqlDriver;
  readonly #envelope: Envelope;
  readonly #keys: KeyManager | undefined;
  readonly #now: () => number;
  #kek: { id: string; readAt: number } | undefined;
  #closed = false;

  private constructor(options: SqlStoreOptions) {
    this.#driver = options.driver;
    this.#keys = options.keys;
    this.#envelope =
      options.keys === undefined ? PLAINTEXT_ENVELOPE : new HsmEnvelope(options.keys.token, () => this.#currentKek());
    this.#now = options.now ?? Date.now;
  }

  /**
   * Migrates the schema and, for an encrypted store, makes sure an active KEK exists on the token.
   *
   * @throws StoreError STORE_MIGRATION_FAILED, STORE_HSM_UNAVAILABLE, STORE_KEY_MISSING.
   */
  static async open(options: SqlStoreOptions): Promise<SqlStore> {
    const store = new SqlStore(options);
    await migrate(options.driver, options.migrations);
    if (options.keys !== undefined) {
      await store.#checkKek(options.keys);
    }
    return store;
  }

  get backend(): string {
    return this.#driver.dialect;
  }

  get encrypted(): boolean {
    return this.#envelope.encrypted;
  }

  async insert(table: TableName, record: NewRecord): Promise<boolean> {
    this.#assertOpen();
    assertTable(table);
    const params = await this.#insertParams(table, record);
    return (await this.#driver.run(insertSql(table), params)) === 1;
  }

  async insertMany(table: TableName, records: readonly NewRecord[]): Promise<number> {
    this.#assertOpen();
    assertTable(table);
    // Sealed first (HSM calls), so the transaction holds the write lock only for the inserts.
    const rows = await Promise.all(records.map((record) => this.#insertParams(table, record)));
    return this.#driver.transaction(async (tx) => {
      let inserted = 0;
      for (const params of rows) inserted += await tx.run(insertSql(table), params);
      return inserted;
    });
  }

  async #insertParams(table: TableName, record: NewRecord): Promise<SqlValue[]> {
    assertText(record.id, 'id');
    const sealed =
      record.personal === undefined
        ? { sealed: null, kekId: null, dek: null }
        : await this.#envelope.seal(table, record.id, record.personal);
    return [
      record.id,
      optionalText(record.status, 'status'),
      optionalText(record.personId, 'personId'),
      optionalText(record.ref, 'ref'),
      optionalText(record.owner, 'owner'),
      record.expiresAt ?? null,
      record.createdAt ?? this.#now(),
      JSON.stringify(record.data),
      sealed.sealed,
      sealed.kekId,
      sealed.dek,
    ];
  }

  async get(table: TableName, id: string): Promise<StoredRecord | undefined> {
    this.#assertOpen();
    assertTable(table);
    assertText(id, 'id');
    const [row] = await this.#driver.all(`SELECT ${COLUMNS} FROM ${table} WHERE id = ?`, [id]);
    return row === undefined ? undefined : this.#toRecord(table, row);
  }

  async getByRef(table: TableName, ref: string): Promise<StoredRecord | undefined> {
    this.#assertOpen();
    assertTable(table);
    assertText(ref, 'ref');
    const [row] = await this.#driver.all(`SELECT ${COLUMNS} FROM ${table} WHERE ref = ?`, [ref]);
    return row === undefined ? undefined : this.#toRecord(table, row);
  }

  async consume(table: TableName, id: string): Promise<StoredRecord | undefined> {
    this.#assertOpen();
    assertTable(table);
    assertText(id, 'id');
    const [row] = await this.#driver.all(`DELETE FROM ${table} WHERE id = ? RETURNING ${COLUMNS}`, [id]);
    return row === undefined ? undefined : this.#toRecord(table, row);
  }

  async transition(table: TableName, id: string, change: Transition): Promise<StoredRecord | undefined> {
    this.#assertOpen();
    assertTable(table);
    assertText(id, 'id');
    assertText(change.from, 'from');
    assertText(change.to, 'to');
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const [row] = await this.#driver.all(`SELECT ${COLUMNS} FROM ${table} WHERE id = ?`, [id]);
      if (row?.status !== change.from) return undefined;
      const updated = await this.#write(table, id, row, change);
      if (updated !== undefined) return this.#toRecord(table, updated);
    }
    return undefined;
  }

  async listByStatus(table: TableName, status: string, limit: number): Promise<StoredRecord[]> {
    this.#assertOpen();
    assertTable(table);
    assertText(status, 'status');
    assertLimit(limit);
    const rows = await this.#driver.all(
      `SELECT ${COLUMNS} FROM ${table} WHERE status = ? ORDER BY created_at, id LIMIT ?`,
      [status, limit],
    );
    return Promise.all(rows.map((row) => this.#toRecord(table, row)));
  }

  async deleteByPerson(table: TableName, personId: string): Promise<number> {
    this.#assertOpen();
    assertTable(table);
    assertText(personId, 'personId');
    return this.#driver.run(`DELETE FROM ${table} WHERE person_id = ?`, [personId]);
  }

  async shredByPerson(table: TableName, personId: string): Promise<number> {
    this.#assertOpen();
    assertTable(table);
    assertText(personId, 'personId');
    return this.#driver.run(
      `UPDATE ${table} SET sealed = NULL, kek_id = NULL, dek = NULL, person_id = NULL, version = version + 1
       WHERE person_id = ?`,
      [personId],
    );
  }

  async deleteExpired(table: TableName, now: number): Promise<number> {
    this.#assertOpen();
    assertTable(table);
    return this.#driver.run(`DELETE FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= ?`, [now]);
  }

  async count(table: TableName, filter: CountFilter = {}): Promise<number> {
    this.#assertOpen();
    assertTable(table);
    const conditions: string[] = [];
    const params: SqlValue[] = [];
    for (const [column, value] of [
      ['status', filter.status],
      ['person_id', filter.personId],
      ['owner', filter.owner],
    ] as const) {
      if (value === undefined) continue;
      assertText(value, column);
      conditions.push(`${column} = ?`);
      params.push(value);
    }
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`;
    if (filter.atMost === undefined) {
      const [row] = await this.#driver.all(`SELECT COUNT(*) AS n FROM ${table} ${where}`, params);
      return Number(row?.n ?? 0);
    }
    assertLimit(filter.atMost, Number.MAX_SAFE_INTEGER);
    // The subquery stops reading at `atMost` rows.
    const [row] = await this.#driver.all(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${table} ${where} LIMIT ?) AS bounded`,
      [...params, filter.atMost],
    );
    return Number(row?.n ?? 0);
  }

  async listExpired(table: TableName, now: number, limit: number): Promise<StoredRecord[]> {
    this.#assertOpen();
    assertTable(table);
    assertLimit(limit);
    const rows = await this.#driver.all(
      `SELECT ${COLUMNS} FROM ${table} WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, id LIMIT ?`,
      [now, limit],
    );
    return Promise.all(rows.map((row) => this.#toRecord(table, row)));
  }

  async rotateKek(options: { batchSize?: number } = {}): Promise<RotationResult> {
    this.#assertOpen();
    const keys = this.#requireKeys();
    const batchSize = options.batchSize ?? 500;
    assertLimit(batchSize);
    const states = await this.#keyStates();
    let active = states.active;
    if (states.retiring.length === 0) {
      active = await this.#startRotation(keys);
    }
    if (active === undefined) throw new StoreError('STORE_KEY_MISSING', 'the store has no active KEK');
    let rewrapped = 0;
    for (const table of TABLES) {
      rewrapped += await this.#rewrapBatch(keys.token, table, active, batchSize - rewrapped);
      if (rewrapped >= batchSize) break;
    }
    const remaining = await this.#dataKeysNotUnder(active);
    if (remaining > 0) return { kekId: active, rewrapped, complete: false, retired: [] };
    await this.#driver.run(`UPDATE store_keys SET state = 'retired', retired_at = ? WHERE state = 'retiring'`, [
      this.#now(),
    ]);
    const retired = (await this.#driver.all(`SELECT kek_id FROM store_keys WHERE state = 'retired'`)).map((r) =>
      String(r.kek_id),
    );
    return { kekId: active, rewrapped, complete: true, retired };
  }

  async destroyRetiredKeks(): Promise<string[]> {
    this.#assertOpen();
    const keys = this.#requireKeys();
    const retired = (await this.#driver.all(`SELECT kek_id FROM store_keys WHERE state = 'retired'`)).map((r) =>
      String(r.kek_id),
    );
    const destroyed: string[] = [];
    for (const kekId of retired) {
      // Checked again right before: a key still named by any data key is never destroyed.
      const inUse = (await this.dataKeysByKek())[kekId] ?? 0;
      if (inUse > 0) continue;
      await keys.token.destroyAesKey(kekId).catch((error: unknown) => {
        // Already gone (an earlier call crashed between the two steps): only the registry is behind.
        if (!isHsmError(error, 'HSM_KEY_NOT_FOUND')) throw error;
      });
      await this.#driver.run(`UPDATE store_keys SET state = 'destroyed' WHERE kek_id = ?`, [kekId]);
      destroyed.push(kekId);
    }
    return destroyed;
  }

  async dataKeysByKek(): Promise<Record<string, number>> {
    this.#assertOpen();
    const counts: Record<string, number> = {};
    for (const table of TABLES) {
      const rows = await this.#driver.all(
        `SELECT kek_id, COUNT(*) AS n FROM ${table} WHERE dek IS NOT NULL GROUP BY kek_id`,
      );
      for (const row of rows) {
        const kek = String(row.kek_id);
        counts[kek] = (counts[kek] ?? 0) + Number(row.n);
      }
    }
    return counts;
  }

  async migrations(): Promise<{ version: number; name: string }[]> {
    this.#assertOpen();
    const rows = await this.#driver.all('SELECT version, name FROM schema_migrations ORDER BY version');
    return rows.map((r) => ({ version: Number(r.version), name: String(r.name) }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#driver.close();
  }

  /** The KEK new data keys are wrapped under, read at most every second. */
  async #currentKek(): Promise<string> {
    const now = Date.now();
    if (this.#kek === undefined || now - this.#kek.readAt > KEK_CACHE_MS) {
      this.#kek = { id: await this.activeKek(), readAt: now };
    }
    return this.#kek.id;
  }

  /** At open: the active KEK exists on the token (installing one when the database has none yet). */
  async #checkKek(keys: KeyManager): Promise<void> {
    let kekId = 'none';
    try {
      kekId = await this.#currentKek();
      const info = await keys.token.findAesKey(kekId);
      if (info === undefined) {
        throw new StoreError(
          'STORE_KEY_MISSING',
          `the active key-encryption key ${kekId} is not on token '${keys.token.label}'`,
        );
      }
    } catch (error) {
      throw fromHsmError(error, kekId, false);
    }
  }

  /** The active KEK, installing one generated in the token when the database has none yet. */
  async activeKek(): Promise<string> {
    const keys = this.#requireKeys();
    const { active } = await this.#keyStates();
    if (active !== undefined) return active;
    const kekId = await keys.token.generateAesKey(keys.kekLabel);
    const inserted = await this.#driver.run(
      `INSERT INTO store_keys (kek_id, state, created_at) VALUES (?, 'active', ?) ON CONFLICT DO NOTHING`,
      [kekId, this.#now()],
    );
    if (inserted === 1) return kekId;
    // Another process installed one first: use it, and drop ours.
    await keys.token.destroyAesKey(kekId);
    return this.activeKek();
  }

  async #write(table: TableName, id: string, row: Row, change: Transition): Promise<Row | undefined> {
    const kept = withoutFields(sealedColumns(row), change.removePersonal ?? []);
    const sealed = change.personal === undefined ? kept : await this.#envelope.seal(table, id, change.personal, kept);
    const expiresAt = change.expiresAt === undefined ? integer(row.expires_at) : change.expiresAt;
    const data = change.data === undefined ? String(row.data) : JSON.stringify(change.data);
    const personId = change.personId === undefined ? text(row.person_id) : optionalText(change.personId, 'personId');
    // Compare-and-set on status and version: the write happens only if nobody wrote since the read.
    const [updated] = await this.#driver.all(
      `UPDATE ${table} SET status = ?, data = ?, sealed = ?, kek_id = ?, dek = ?, expires_at = ?, person_id = ?,
       version = version + 1 WHERE id = ? AND status = ? AND version = ? RETURNING ${COLUMNS}`,
      [
        change.to,
        data,
        sealed.sealed,
        sealed.kekId,
        sealed.dek,
        expiresAt,
        personId,
        id,
        change.from,
        Number(row.version),
      ],
    );
    return updated;
  }

  async #toRecord(table: TableName, row: Row): Promise<StoredRecord> {
    const personal = await this.#envelope.open(table, String(row.id), sealedColumns(row));
    const optional = {
      status: text(row.status) ?? undefined,
      personId: text(row.person_id) ?? undefined,
      ref: text(row.ref) ?? undefined,
      owner: text(row.owner) ?? undefined,
      expiresAt: integer(row.expires_at) ?? undefined,
      personal,
    };
    return {
      id: String(row.id),
      ...(Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)) as Partial<StoredRecord>),
      createdAt: Number(row.created_at),
      version: Number(row.version),
      data: parseData(row),
    };
  }

  async #keyStates(): Promise<{ active: string | undefined; retiring: string[] }> {
    const rows = await this.#driver.all(`SELECT kek_id, state FROM store_keys WHERE state IN ('active', 'retiring')`);
    return {
      active: rows.find((r) => r.state === 'active')?.kek_id as string | undefined,
      retiring: rows.filter((r) => r.state === 'retiring').map((r) => String(r.kek_id)),
    };
  }

  /** Generates the next KEK in the token and makes it the active one; the previous one starts retiring. */
  async #startRotation(keys: KeyManager): Promise<string> {
    const kekId = await keys.token.generateAesKey(keys.kekLabel);
    try {
      await this.#driver.transaction(async (tx) => {
        await tx.run(`UPDATE store_keys SET state = 'retiring' WHERE state = 'active'`);
        await tx.run(`INSERT INTO store_keys (kek_id, state, created_at) VALUES (?, 'active', ?)`, [
          kekId,
          this.#now(),
        ]);
      });
    } catch (error) {
      // Another replica started a rotation at the same moment (one active KEK only): drop ours.
      await keys.token.destroyAesKey(kekId).catch(() => undefined);
      throw new StoreError('STORE_DB_UNAVAILABLE', 'could not start the key rotation; retry', { cause: error });
    }
    this.#kek = { id: kekId, readAt: Date.now() };
    return kekId;
  }

  /** Re-wraps up to `limit` data keys of `table` under `kekId`: only DEKs are unwrapped, never record data. */
  async #rewrapBatch(token: HsmToken, table: TableName, kekId: string, limit: number): Promise<number> {
    if (limit <= 0) return 0;
    const rows = await this.#driver.all(
      `SELECT id, kek_id, dek FROM ${table} WHERE dek IS NOT NULL AND kek_id <> ? ORDER BY id LIMIT ?`,
      [kekId, limit],
    );
    let done = 0;
    for (const row of rows) {
      const id = String(row.id);
      const oldKek = String(row.kek_id);
      const oldDek = row.dek as Buffer;
      const aad = dekAad(table, id);
      const dek = await unwrapDek(token, oldKek, oldDek, aad);
      try {
        const wrapped = await wrapDek(token, kekId, dek, aad);
        // Compare-and-set: a record rewritten or shredded meanwhile is left as it is now.
        done += await this.#driver.run(
          `UPDATE ${table} SET kek_id = ?, dek = ? WHERE id = ? AND kek_id = ? AND dek = ?`,
          [kekId, wrapped, id, oldKek, oldDek],
        );
      } finally {
        dek.fill(0);
      }
    }
    return done;
  }

  async #dataKeysNotUnder(kekId: string): Promise<number> {
    let n = 0;
    for (const table of TABLES) {
      const [row] = await this.#driver.all(`SELECT COUNT(*) AS n FROM ${table} WHERE dek IS NOT NULL AND kek_id <> ?`, [
        kekId,
      ]);
      n += Number(row?.n ?? 0);
    }
    return n;
  }

  #requireKeys(): KeyManager {
    if (this.#keys === undefined) {
      throw new StoreError('STORE_INVALID_ARGUMENT', 'this store does not encrypt; it has no keys to rotate');
    }
    return this.#keys;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('STORE_CLOSED', 'the store was closed');
  }
}
