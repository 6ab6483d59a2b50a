/**
 * The one store interface of the organisation services' state (see docs/storage.md). Every table has the same
 * shape: a record has an id, optional indexed columns (status, person, secondary reference, expiry), a JSON
 * document of non-personal fields, and a JSON document of personal fields that an encrypted store keeps only
 * as AES-256-GCM ciphertext under the record's own data key. Every operation is one atomic statement, so
 * single use and status transitions hold across processes and replicas sharing the database.
 */

/** A JSON value as stored. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
/** A JSON object: the documents of a record. */
export type JsonObject = { [key: string]: Json };

/** The tables of the services' state (created by the schema migrations). */
export const TABLES = ['nonces', 'certifications', 'registrations', 'officers'] as const;
export type TableName = (typeof TABLES)[number];

/** The indexed columns every record has: its id, and what sweeps, caps, erasure and lookups use. */
export interface RecordKeys {
  readonly id: string;
  readonly status?: string;
  /** The person the record is about (did:key), for erasure. */
  readonly personId?: string;
  /** A unique secondary key (e.g. an officer's token digest). */
  readonly ref?: string;
  /** Who the record counts against for caps (e.g. the officer of a registration, a client's address digest). */
  readonly owner?: string;
  /** Milliseconds since the epoch after which the record may be deleted by {@link KycStore.deleteExpired}. */
  readonly expiresAt?: number;
}

/** A record as read back; `personal` holds the decrypted personal fields (absent when none or erased). */
export interface StoredRecord extends RecordKeys {
  readonly createdAt: number;
  /** Incremented by every write: 1 after insert. */
  readonly version: number;
  /** Non-personal fields, stored as JSON text. */
  readonly data: JsonObject;
  /** Personal fields (claims, disclosures, verified claims): encrypted at rest when the store has a KEK. */
  readonly personal?: JsonObject;
}

/** What {@link KycStore.insert} writes. */
export interface NewRecord extends RecordKeys {
  /** Defaults to now. */
  readonly createdAt?: number;
  readonly data: JsonObject;
  readonly personal?: JsonObject;
}

/** A compare-and-set status change, with what changes along with it. */
export interface Transition {
  /** The status the record must have now; otherwise nothing is written. */
  readonly from: string;
  readonly to: string;
  /** Replaces the non-personal document when given. */
  readonly data?: JsonObject;
  /** Personal fields to set (merged into the existing ones; encrypted under the record's data key). */
  readonly personal?: JsonObject;
  /** Personal fields to drop (retention: e.g. disclosures nobody collected); applied before `personal`. */
  readonly removePersonal?: readonly string[];
  /** Sets the person the record is about (e.g. once a registration is verified). */
  readonly personId?: string;
  /** Replaces the expiry when given (null clears it). */
  readonly expiresAt?: number | null;
}

/** Which records {@link KycStore.count} counts; all filters combine. */
export interface CountFilter {
  readonly status?: string;
  readonly personId?: string;
  readonly owner?: string;
  /** Stop counting here (caps): the cost stays bounded however large the table grows. */
  readonly atMost?: number;
}

/** Progress of a key rotation. */
export interface RotationResult {
  /** The key-encryption key every data key is now wrapped under. */
  readonly kekId: string;
  /** Data keys re-wrapped by this call. */
  readonly rewrapped: number;
  /** True when no data key remains under another KEK: the old KEKs may be destroyed. */
  readonly complete: boolean;
  /** KEKs no data key uses any more (destroy them with {@link KycStore.destroyRetiredKeks}). */
  readonly retired: readonly string[];
}

/** The store: async, because PostgreSQL is. */
export interface KycStore {
  /** `sqlite` or `postgres`. */
  readonly backend: string;
  /** True when personal fields are encrypted under an HSM key. */
  readonly encrypted: boolean;
  /**
   * Inserts the record unless one with this id (or ref) exists. The database's primary key decides, so of
   * concurrent inserts of one id exactly one returns true.
   */
  insert(table: TableName, record: NewRecord): Promise<boolean>;
  /**
   * Inserts many records in one transaction, each only if absent (bulk loads, importing the JSON state files);
   * returns how many were inserted. All or nothing on an error.
   */
  insertMany(table: TableName, records: readonly NewRecord[]): Promise<number>;
  get(table: TableName, id: string): Promise<StoredRecord | undefined>;
  getByRef(table: TableName, ref: string): Promise<StoredRecord | undefined>;
  /**
   * Single use: deletes the record and returns it, in one statement (`DELETE … RETURNING`). Of concurrent
   * consumers of one id, in this process or another, exactly one gets it; the others get undefined.
   */
  consume(table: TableName, id: string): Promise<StoredRecord | undefined>;
  /**
   * Compare-and-set: changes the status from `from` to `to` (and the given fields) only if the record's status
   * is `from` at that instant. Returns the new record, or undefined when it is absent or in another status.
   */
  transition(table: TableName, id: string, change: Transition): Promise<StoredRecord | undefined>;
  /** Records with this status, oldest first, at most `limit` (1 to 1000). */
  listByStatus(table: TableName, status: string, limit: number): Promise<StoredRecord[]>;
  /** Erasure: deletes every record about this person; returns how many. */
  deleteByPerson(table: TableName, personId: string): Promise<number>;
  /**
   * Erasure that keeps the record's non-personal fields: drops the personal fields, the data key and the
   * person id of every record about this person (crypto-shredding); returns how many.
   */
  shredByPerson(table: TableName, personId: string): Promise<number>;
  /** Deletes records whose expiry is at or before `now` (ms); returns how many. */
  deleteExpired(table: TableName, now: number): Promise<number>;
  /** Number of records matching `filter` (all records without one): for caps, with `atMost`. */
  count(table: TableName, filter?: CountFilter): Promise<number>;
  /** Records whose expiry is at or before `now`, soonest first, at most `limit`: for retention sweeps. */
  listExpired(table: TableName, now: number, limit: number): Promise<StoredRecord[]>;
  /**
   * Key rotation (encrypted stores): makes sure a new KEK exists in the HSM and new data keys use it, then
   * re-wraps up to `batchSize` data keys under it (only the data keys are unwrapped; no record's data is
   * decrypted). Call until `complete`; resumable after a crash or restart.
   */
  rotateKek(options?: { batchSize?: number }): Promise<RotationResult>;
  /** Destroys, in the HSM, the retired KEKs no data key uses any more; returns their ids. */
  destroyRetiredKeks(): Promise<string[]>;
  /** Data keys per KEK id, for monitoring and tests. */
  dataKeysByKek(): Promise<Record<string, number>>;
  /** Applied schema migrations, in order. */
  migrations(): Promise<{ version: number; name: string }[]>;
  close(): Promise<void>;
}
