import { KycError, type ErrorCode } from '../../protocol/src';

/**
 * Errors of the store as data. A StoreError is a KycError, so the services' one error mapping
 * (gateway/src/errors.ts) passes it through with its KYC code and HTTP status; `reason` says more precisely
 * what went wrong, for logs and tests. Messages never contain personal data, keys or PINs.
 */
export const STORE_ERROR_REASONS = {
  /** A stored ciphertext or wrapped data key failed authentication: altered, or moved to another record/field. */
  STORE_TAMPERED: 'KYC_INTERNAL',
  /** The HSM token holding the key-encryption key is absent, locked or refuses the PIN. Safe to retry later. */
  STORE_HSM_UNAVAILABLE: 'KYC_UNAVAILABLE',
  /** The database cannot be reached or refused the connection. Safe to retry. */
  STORE_DB_UNAVAILABLE: 'KYC_UNAVAILABLE',
  /** A schema migration failed; it and every later one were rolled back. */
  STORE_MIGRATION_FAILED: 'KYC_INTERNAL',
  /** The key-encryption key a record names is not on the token (destroyed too early, wrong token). */
  STORE_KEY_MISSING: 'KYC_INTERNAL',
  /** A caller passed something malformed (table, id, sizes). Nothing was changed. */
  STORE_INVALID_ARGUMENT: 'KYC_INVALID_ARGUMENT',
  /** The store was closed. */
  STORE_CLOSED: 'KYC_UNAVAILABLE',
} as const satisfies Record<string, ErrorCode>;

export type StoreErrorReason = keyof typeof STORE_ERROR_REASONS;

/** An error of the store: `code` is the KYC code for clients, `reason` the store's own. */
export class StoreError extends KycError {
  constructor(
    readonly reason: StoreErrorReason,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(STORE_ERROR_REASONS[reason], `${reason}: ${detail}`, options);
  }
}

/** True when `value` is a {@link StoreError}, optionally with the given reason. */
export function isStoreError(value: unknown, reason?: StoreErrorReason): value is StoreError {
  return value instanceof StoreError && (reason === undefined || value.reason === reason);
}
