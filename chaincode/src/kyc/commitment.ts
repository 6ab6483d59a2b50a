import { DIGEST, KycError, SCHEMA_ID } from '../../../protocol/src';
import type { Commitment } from '../../../protocol/src';
import { parseJsonArgument, requireDistinctStrings, requireLevel, requireMatch, requireObject } from '../common/args';
import { parseInstant } from '../common/iso-time';
import type { TxTime } from '../common/tx-time';

export type { Commitment } from '../../../protocol/src';

export const MAX_COMMITMENT_LENGTH = 8 * 1024;
export const MAX_DIGESTS = 64;
/** Longest validity window: ten years, counting leap days. */
export const MAX_VALIDITY_MILLIS = (10 * 365 + 3) * 24 * 3600 * 1000;

function invalid(detail: string): never {
  throw new KycError('KYC_INVALID_ARGUMENT', detail);
}

/**
 * Parses and checks the `commitment` argument of Certify and Renew:
 * `{ schema, level, digests, validFrom, validUntil }`, no other field. Digests may come in any order and are
 * returned sorted; duplicates are rejected. The window must be ordered, end after the transaction time and
 * span at most ten years.
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the first offending field.
 */
export function parseCommitment(argument: unknown, now: TxTime): Commitment {
  const name = 'commitment';
  const value = requireObject(parseJsonArgument(argument, name, MAX_COMMITMENT_LENGTH), name, [
    'schema',
    'level',
    'digests',
    'validFrom',
    'validUntil',
  ]);
  const schema = requireMatch(value.schema, `${name}.schema`, SCHEMA_ID, 64);
  if (typeof value.level !== 'number') {
    invalid(`${name}.level must be the number 1, 2 or 3`);
  }
  const level = requireLevel(value.level, `${name}.level`);
  const digests = requireDistinctStrings(value.digests, `${name}.digests`, DIGEST, MAX_DIGESTS, 43);
  const validFrom = parseInstant(value.validFrom, `${name}.validFrom`);
  const validUntil = parseInstant(value.validUntil, `${name}.validUntil`);
  if (validFrom.millis > validUntil.millis) {
    invalid(`${name}.validFrom must not be after validUntil`);
  }
  if (validUntil.millis <= now.millis) {
    invalid(`${name}.validUntil must be after the transaction time`);
  }
  if (validUntil.millis - validFrom.millis > MAX_VALIDITY_MILLIS) {
    invalid(`${name} validity window must not exceed ten years`);
  }
  return { schema, level, digests: [...digests].sort(), validFrom: validFrom.iso, validUntil: validUntil.iso };
}
