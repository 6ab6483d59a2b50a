import type { Context } from 'fabric-contract-api';
import { KycError } from '../../../protocol/src';

/**
 * The transaction's own time: the timestamp in the proposal header, identical on every endorsing peer. The
 * chaincodes never read the wall clock, so every peer reaches the same result for the same proposal.
 */
export interface TxTime {
  /** Whole seconds since the epoch (NumericDate, as in JWT `iat`/`exp`). */
  readonly seconds: number;
  /** Milliseconds since the epoch. */
  readonly millis: number;
  /** ISO-8601 UTC with milliseconds, e.g. `2026-01-31T12:00:00.000Z`. */
  readonly iso: string;
}

/**
 * Seconds of a protobuf timestamp, which fabric-shim hands out as a `Long` (transaction timestamp) or as a
 * plain number (history entries).
 *
 * @throws KycError KYC_INTERNAL when the value is neither.
 */
export function timestampSeconds(value: unknown): number {
  if (typeof value === 'number') {
    return value;
  }
  if (typeof value === 'object' && value !== null && 'toNumber' in value && typeof value.toNumber === 'function') {
    return Number((value.toNumber as () => unknown)());
  }
  throw new KycError('KYC_INTERNAL', 'timestamp seconds are neither a number nor a Long');
}

/** Milliseconds since the epoch of a protobuf timestamp `{ seconds, nanos }`. */
export function timestampMillis(timestamp: { readonly seconds: unknown; readonly nanos: number }): number {
  return timestampSeconds(timestamp.seconds) * 1000 + Math.floor(timestamp.nanos / 1_000_000);
}

/**
 * The current transaction's time.
 *
 * @throws KycError KYC_INTERNAL when the stub's timestamp is malformed.
 */
export function txTime(ctx: Context): TxTime {
  const timestamp = ctx.stub.getTxTimestamp();
  const millis = timestampMillis(timestamp);
  if (!Number.isSafeInteger(millis)) {
    throw new KycError('KYC_INTERNAL', 'transaction timestamp is out of range');
  }
  return { seconds: Math.floor(millis / 1000), millis, iso: new Date(millis).toISOString() };
}
