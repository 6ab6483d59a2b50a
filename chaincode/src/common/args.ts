import type { KeyObject } from 'node:crypto';
import { KycError, LEVELS, MSP_ID, publicKeyFromDidKey } from '../../../protocol/src';
import type { AssuranceLevel } from '../../../protocol/src';

/**
 * Validation of transaction arguments and JSON inputs. Every check runs before any write and throws a
 * KYC_INVALID_ARGUMENT whose message names the argument but never echoes its value (it may be personal data).
 */

/** Most trusted-certifier lists a caller may pass. */
export const MAX_TRUSTED_CERTIFIERS = 32;
/** Length of a P-256 did:key: `did:key:zDn` + 46 base58 characters. */
export const PERSON_ID_LENGTH = 57;

function invalid(detail: string): never {
  throw new KycError('KYC_INVALID_ARGUMENT', detail);
}

/**
 * A string of 1..`maxLength` characters.
 *
 * @throws KycError KYC_INVALID_ARGUMENT otherwise.
 */
export function requireString(value: unknown, name: string, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    invalid(`${name} must be a string of 1 to ${maxLength} characters`);
  }
  return value;
}

/**
 * A string of at most `maxLength` characters matching `pattern` (which should be anchored).
 *
 * @throws KycError KYC_INVALID_ARGUMENT otherwise.
 */
export function requireMatch(value: unknown, name: string, pattern: RegExp, maxLength = 256): string {
  if (typeof value !== 'string' || value.length > maxLength || !pattern.test(value)) {
    invalid(`${name} is missing or malformed (expected ${pattern.source})`);
  }
  return value;
}

/**
 * Parses a JSON text argument of at most `maxLength` characters.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when too long or not JSON.
 */
export function parseJsonArgument(value: unknown, name: string, maxLength: number): unknown {
  const text = requireString(value, name, maxLength);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    invalid(`${name} must be JSON`);
  }
}

/**
 * A plain JSON object with only `allowed` keys and every one of `required`.
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the first unknown or missing field.
 */
export function requireObject(
  value: unknown,
  name: string,
  required: readonly string[],
  optional: readonly string[] = [],
): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(`${name} must be a JSON object`);
  }
  const object = value as Record<string, unknown>;
  const allowed = new Set([...required, ...optional]);
  const unknown = Object.keys(object).find((key) => !allowed.has(key));
  if (unknown !== undefined) {
    invalid(`${name} has an unknown field '${unknown.slice(0, 64)}'`);
  }
  const missing = required.find((key) => !(key in object));
  if (missing !== undefined) {
    invalid(`${name} lacks the field '${missing}'`);
  }
  return object;
}

/**
 * An array of 1..`maxItems` distinct strings each matching `pattern`.
 *
 * @throws KycError KYC_INVALID_ARGUMENT otherwise.
 */
export function requireDistinctStrings(
  value: unknown,
  name: string,
  pattern: RegExp,
  maxItems: number,
  maxLength = 256,
): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > maxItems) {
    invalid(`${name} must be an array of 1 to ${maxItems} entries`);
  }
  const items = value as unknown[];
  items.forEach((item, index) => requireMatch(item, `${name}[${index}]`, pattern, maxLength));
  if (new Set(items).size !== items.length) {
    invalid(`${name} has duplicate entries`);
  }
  return items as string[];
}

/**
 * A non-empty list of distinct MSP ids.
 *
 * @throws KycError KYC_INVALID_ARGUMENT otherwise.
 */
export function requireMspList(value: unknown, name: string): string[] {
  return requireDistinctStrings(value, name, MSP_ID, MAX_TRUSTED_CERTIFIERS, 64);
}

/**
 * Parses a JSON-array argument of MSP ids (`'["CertifierMSP"]'`).
 *
 * @throws KycError KYC_INVALID_ARGUMENT otherwise.
 */
export function parseMspListArgument(value: unknown, name: string): string[] {
  return requireMspList(parseJsonArgument(value, name, 4096), name);
}

/**
 * An assurance level: the number 1, 2 or 3 in JSON, or the string `'1'`, `'2'` or `'3'` as an argument.
 *
 * @throws KycError KYC_INVALID_ARGUMENT otherwise.
 */
export function requireLevel(value: unknown, name: string): AssuranceLevel {
  const level = typeof value === 'string' && /^[123]$/.test(value) ? Number(value) : value;
  if (!LEVELS.includes(level as AssuranceLevel)) {
    invalid(`${name} must be 1, 2 or 3`);
  }
  return level as AssuranceLevel;
}

/** A validated person id and the public key it names. */
export interface ParsedPersonId {
  readonly personId: string;
  readonly publicKey: KeyObject;
}

/**
 * A person id: a P-256 did:key naming a point on the curve.
 *
 * @throws KycError KYC_INVALID_ARGUMENT otherwise.
 */
export function requirePersonId(value: unknown, name = 'personId'): ParsedPersonId {
  const personId = requireString(value, name, PERSON_ID_LENGTH);
  return { personId, publicKey: publicKeyFromDidKey(personId) };
}
