import {
  isP256DidKeyShape,
  KycError,
  LEVELS,
  MAX_CLAIMS,
  MSP_ID,
  parseDisclosure,
  RECORD_KIND,
  type AssuranceLevel,
  type ParsedDisclosure,
} from '../../protocol/src';
import type { RecordReference } from '../../protocol/src/http';

export type { RecordReference } from '../../protocol/src/http';

/**
 * A credential as the wallet keeps it: the disclosures a certifier handed back (one per claim) and a reference
 * to the ledger record that commits to them. The wallet never holds anything signed by the certifier; the
 * bank checks the disclosures against the record on the ledger.
 */

export interface Credential {
  /** did:key the record is keyed by (the wallet's own). */
  readonly personId: string;
  readonly record: RecordReference;
  /** One disclosure per claim, as received. */
  readonly disclosures: readonly string[];
  /** When the wallet stored it, ISO 8601. */
  readonly storedAt: string;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const MAX_VERSION = 1_000_000;

function fail(what: string, detail: string): never {
  throw new KycError('KYC_INVALID_ARGUMENT', `${what}: ${detail}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `value` is an ISO 8601 UTC timestamp of a real instant. */
export function isIsoUtc(value: unknown): value is string {
  return typeof value === 'string' && ISO_UTC.test(value) && Number.isFinite(Date.parse(value));
}

/**
 * Checks a record reference `{ certifier, kind, version, level, validUntil }`.
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the offending field.
 */
export function parseRecordReference(value: unknown, what = 'record reference'): RecordReference {
  if (!isObject(value)) {
    fail(what, 'must be an object');
  }
  const { certifier, kind, version, level, validUntil } = value;
  if (typeof certifier !== 'string' || !MSP_ID.test(certifier)) {
    fail(what, `'certifier' must be an MSP id`);
  }
  if (typeof kind !== 'string' || !RECORD_KIND.test(kind)) {
    fail(what, `'kind' must be a record kind`);
  }
  return {
    certifier,
    kind,
    version: recordVersion(version, what),
    level: recordLevel(level, what),
    validUntil: iso(validUntil, what),
  };
}

function recordVersion(version: unknown, what: string): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1 || version > MAX_VERSION) {
    fail(what, `'version' must be a positive integer`);
  }
  return version;
}

function recordLevel(level: unknown, what: string): AssuranceLevel {
  if (!LEVELS.includes(level as AssuranceLevel)) {
    fail(what, `'level' must be 1, 2 or 3`);
  }
  return level as AssuranceLevel;
}

function iso(value: unknown, what: string): string {
  if (!isIsoUtc(value)) {
    fail(what, `'validUntil' must be an ISO 8601 UTC timestamp`);
  }
  return value;
}

/**
 * Parses a list of disclosures: 1..32 well-formed disclosures with distinct claim names.
 *
 * @returns the parsed disclosures by claim name, in the order given.
 * @throws KycError KYC_INVALID_ARGUMENT when one does not parse or two name the same claim.
 */
export function parseDisclosureSet(disclosures: unknown, what: string): Map<string, ParsedDisclosure> {
  if (!Array.isArray(disclosures) || disclosures.length === 0 || disclosures.length > MAX_CLAIMS) {
    fail(what, `disclosures must be an array of 1 to ${MAX_CLAIMS} strings`);
  }
  const byName = new Map<string, ParsedDisclosure>();
  for (const disclosure of disclosures as unknown[]) {
    const parsed = parseDisclosure(disclosure);
    if (byName.has(parsed.name)) {
      fail(what, `two disclosures for claim '${parsed.name}'`);
    }
    byName.set(parsed.name, parsed);
  }
  return byName;
}

/**
 * Checks a stored credential: person id, record reference and disclosures that still parse.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when any part is malformed.
 */
export function parseCredential(value: unknown, what = 'credential'): Credential {
  if (!isObject(value)) {
    fail(what, 'must be an object');
  }
  if (!isP256DidKeyShape(value.personId)) {
    fail(what, `'personId' must be a P-256 did:key`);
  }
  if (!isIsoUtc(value.storedAt)) {
    fail(what, `'storedAt' must be an ISO 8601 UTC timestamp`);
  }
  const record = parseRecordReference(value.record, what);
  const disclosures = [...parseDisclosureSet(value.disclosures, what).values()].map((d) => d.disclosure);
  return { personId: value.personId, record, disclosures, storedAt: value.storedAt };
}

/** The credential's claims by name (disclosures are checked when the credential is parsed). */
export function credentialClaims(credential: Credential): Map<string, ParsedDisclosure> {
  return parseDisclosureSet(credential.disclosures, 'credential');
}

/** True when the credential's record is still valid at `now`. */
export function isCurrent(credential: Credential, now: Date): boolean {
  return Date.parse(credential.record.validUntil) > now.getTime();
}
