import stringify from 'json-stringify-deterministic';
import { KycError } from '../../../protocol/src';

/**
 * The one codec for every byte the chaincodes write (state, private data, events) and every JSON string they
 * return. Object keys are sorted at every depth (UTF-16 code-unit order) and no whitespace is emitted, so all
 * endorsing peers produce identical bytes. Array order is preserved on purpose: callers sort the arrays whose
 * order carries no meaning (digests, claim names) before writing. sort-keys-recursive is not used because it
 * also reorders arrays, which would silently change lists whose order matters.
 */

/**
 * Deterministic JSON text of `value`; properties whose value is `undefined` are left out.
 *
 * @throws TypeError when `value` holds a cycle (never the case for the plain records written here).
 */
export function toJson(value: unknown): string {
  return stringify(value);
}

/** Deterministic UTF-8 JSON bytes of `value`, for `putState`, `putPrivateData` and `setEvent`. */
export function marshal(value: unknown): Buffer {
  return Buffer.from(toJson(value), 'utf8');
}

/**
 * Parses bytes the chaincode wrote itself. Anything that is not JSON means the ledger holds something this
 * code did not write, which is an internal failure, never the caller's fault.
 *
 * @throws KycError KYC_INTERNAL when the bytes are not UTF-8 JSON.
 */
export function unmarshal(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch (cause) {
    throw new KycError('KYC_INTERNAL', `stored ${what} is not valid JSON`, { cause });
  }
}
