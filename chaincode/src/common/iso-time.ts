import { KycError } from '../../../protocol/src';

/** `YYYY-MM-DDTHH:mm:ssZ` or `YYYY-MM-DDTHH:mm:ss.sssZ`, UTC only: one spelling per instant, no offsets. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;

/** An instant parsed from an ISO-8601 UTC string. */
export interface Instant {
  readonly millis: number;
  /** The canonical form, always with milliseconds (`Date.prototype.toISOString`). */
  readonly iso: string;
}

/**
 * Parses a strict ISO-8601 UTC instant; rejects impossible dates such as February 30th.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when `value` is not such a string.
 */
export function parseInstant(value: unknown, name: string): Instant {
  if (typeof value !== 'string' || value.length > 24 || !ISO_INSTANT.test(value)) {
    throw new KycError('KYC_INVALID_ARGUMENT', `${name} must be an ISO-8601 UTC time (YYYY-MM-DDTHH:mm:ss(.sss)Z)`);
  }
  const millis = Date.parse(value);
  const iso = Number.isNaN(millis) ? '' : new Date(millis).toISOString();
  const canonical = value.length === 20 ? `${value.slice(0, 19)}.000Z` : value;
  if (iso !== canonical) {
    throw new KycError('KYC_INVALID_ARGUMENT', `${name} is not a valid calendar time`);
  }
  return { millis, iso };
}
