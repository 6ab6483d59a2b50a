import { KycError } from '../../../protocol/src';
import { toKycError } from '../../../gateway/src/errors';
import {
  StoreError,
  isStoreError,
  openStore,
  type CountFilter,
  type KycStore,
  type NewRecord,
  type OpenStoreOptions,
  type RotationResult,
  type StoredRecord,
  type TableName,
  type Transition,
} from '../../../store/src';

/**
 * The service's store, open or not: a service starts even when its database or the HSM token of the store's
 * key is unavailable, answers every call that needs the store with the coded reason (KYC_UNAVAILABLE /
 * KYC_INTERNAL), reports it on /healthz, and opens the store again, at most once per `retryMs`, until it
 * works. Nothing is written before an open succeeded (openStore's guarantee), so a failed start loses nothing.
 */

export interface ResilientStoreOptions {
  /** Built again at every attempt, so a fixed PIN file or a database back up is picked up without a restart. */
  readonly options: () => OpenStoreOptions;
  /** Runs once after the first successful open (importing old JSON state), before any other call. */
  readonly onOpen?: (store: KycStore) => Promise<void>;
  readonly retryMs?: number;
  readonly now?: () => number;
}

export interface StoreHealth {
  readonly ok: boolean;
  /** Why the store cannot be used (a StoreError reason and message; never a PIN or personal value). */
  readonly reason?: string;
}

export class ResilientStore implements KycStore {
  readonly #options: ResilientStoreOptions;
  readonly #now: () => number;
  #store: KycStore | undefined;
  #opening: Promise<KycStore> | undefined;
  #lastError: KycError | undefined;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #closed = false;

  constructor(options: ResilientStoreOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The open store. @throws KycError (StoreError) with the reason it cannot be opened now. */
  async ready(): Promise<KycStore> {
    if (this.#store !== undefined) return this.#store;
    if (this.#closed) throw new KycError('KYC_UNAVAILABLE', 'STORE_CLOSED: the service is shutting down');
    if (this.#opening !== undefined) return this.#opening;
    const retryMs = this.#options.retryMs ?? 2000;
    if (this.#lastError !== undefined && this.#now() - this.#lastAttempt < retryMs) throw this.#lastError;
    this.#lastAttempt = this.#now();
    this.#opening = this.#open().finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #open(): Promise<KycStore> {
    let store: KycStore | undefined;
    try {
      store = await openStore(this.#options.options());
      await this.#options.onOpen?.(store);
    } catch (err) {
      await store?.close().catch(() => undefined);
      this.#lastError = isStoreError(err) ? err : toKycError(err);
      throw this.#lastError;
    }
    if (this.#closed) {
      await store.close();
      throw new KycError('KYC_UNAVAILABLE', 'STORE_CLOSED: the service is shutting down');
    }
    this.#store = store;
    this.#lastError = undefined;
    return store;
  }

  /** Runs one store call; a database failure (down, full, busy) becomes STORE_DB_UNAVAILABLE, safe to retry. */
  async #call<T>(operation: (store: KycStore) => Promise<T>): Promise<T> {
    const store = await this.ready();
    try {
      return await operation(store);
    } catch (err) {
      throw databaseError(err);
    }
  }

  /** Whether the store answers now: open (or opens) it and counts one officer. */
  async health(): Promise<StoreHealth> {
    try {
      await this.#call((s) => s.count('officers', { atMost: 1 }));
      return { ok: true };
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  get backend(): string {
    return this.#store?.backend ?? 'unopened';
  }

  get encrypted(): boolean {
    return this.#store?.encrypted ?? false;
  }

  async insert(table: TableName, record: NewRecord): Promise<boolean> {
    return this.#call((store) => store.insert(table, record));
  }

  async insertMany(table: TableName, records: readonly NewRecord[]): Promise<number> {
    return this.#call((store) => store.insertMany(table, records));
  }

  async get(table: TableName, id: string): Promise<StoredRecord | undefined> {
    return this.#call((store) => store.get(table, id));
  }

  async getByRef(table: TableName, ref: string): Promise<StoredRecord | undefined> {
    return this.#call((store) => store.getByRef(table, ref));
  }

  async consume(table: TableName, id: string): Promise<StoredRecord | undefined> {
    return this.#call((store) => store.consume(table, id));
  }

  async transition(table: TableName, id: string, change: Transition): Promise<StoredRecord | undefined> {
    return this.#call((store) => store.transition(table, id, change));
  }

  async listByStatus(table: TableName, status: string, limit: number): Promise<StoredRecord[]> {
    return this.#call((store) => store.listByStatus(table, status, limit));
  }

  async deleteByPerson(table: TableName, personId: string): Promise<number> {
    return this.#call((store) => store.deleteByPerson(table, personId));
  }

  async shredByPerson(table: TableName, personId: string): Promise<number> {
    return this.#call((store) => store.shredByPerson(table, personId));
  }

  async deleteExpired(table: TableName, now: number): Promise<number> {
    return this.#call((store) => store.deleteExpired(table, now));
  }

  async count(table: TableName, filter?: CountFilter): Promise<number> {
    return this.#call((store) => store.count(table, filter));
  }

  async listExpired(table: TableName, now: number, limit: number): Promise<StoredRecord[]> {
    return this.#call((store) => store.listExpired(table, now, limit));
  }

  async rotateKek(options?: { batchSize?: number }): Promise<RotationResult> {
    return this.#call((store) => store.rotateKek(options));
  }

  async destroyRetiredKeks(): Promise<string[]> {
    return this.#call((store) => store.destroyRetiredKeks());
  }

  async dataKeysByKek(): Promise<Record<string, number>> {
    return this.#call((store) => store.dataKeysByKek());
  }

  async migrations(): Promise<{ version: number; name: string }[]> {
    return this.#call((store) => store.migrations());
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#opening?.catch(() => undefined);
    const store = this.#store;
    this.#store = undefined;
    await store?.close();
  }
}

/** SQLite result codes and PostgreSQL error codes or classes that mean "the database cannot serve now". */
const UNAVAILABLE =
  /^(SQLITE_(FULL|BUSY|LOCKED|IOERR|CANTOPEN|READONLY)|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|57P0[123]|53\d{3}|08\d{3})/;

function databaseError(err: unknown): unknown {
  if (err instanceof KycError) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  const terminated = err instanceof Error && /Connection terminated|connect ECONNREFUSED/.test(err.message);
  if ((typeof code === 'string' && UNAVAILABLE.test(code)) || terminated) {
    const why = typeof code === 'string' ? code : 'connection lost';
    return new StoreError('STORE_DB_UNAVAILABLE', `the database cannot serve the request (${why})`, { cause: err });
  }
  return err;
}
