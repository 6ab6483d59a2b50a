/**
 * The services' state store (docs/storage.md): one async interface over SQLite (default) or PostgreSQL, with
 * versioned migrations and personal fields encrypted at rest under per-record data keys wrapped by a KEK that
 * lives in the organisation's HSM token.
 */
export { openStore, sqlitePathFor } from './open';
export type { OpenStoreOptions, StoreBackendOptions, StoreEncryptionOptions } from './open';
export { MIGRATIONS, migrate } from './migrations';
export type { Migration } from './migrations';
export { STORE_ERROR_REASONS, StoreError, isStoreError } from './errors';
export type { StoreErrorReason } from './errors';
export { TABLES } from './types';
export type {
  CountFilter,
  Json,
  JsonObject,
  KycStore,
  NewRecord,
  RotationResult,
  StoredRecord,
  TableName,
  Transition,
} from './types';
