import { isP256DidKeyShape } from './did-key';
import { MAX_CLAIMS, MAX_DISCLOSURE_LENGTH } from './disclosure';
import { KycError } from './errors';
import { MAX_JWS_LENGTH } from './jws';
import { MSP_ID, RECORD_KIND } from './messages';

/**
 * The plaintext of a presentation JWE (docs/protocol.md §Presentation). The consent JWS inside binds the
 * disclosures through `disclosures_hash`; this type only says the fields are well-formed.
 */
export interface Presentation {
  /** The person's did:key; the consent must be signed by this key and the record keyed by it. */
  readonly personId: string;
  /** MSP id of the certifier whose attestation the disclosures open. */
  readonly certifier: string;
  /** Record kind of that attestation, e.g. `identity`. */
  readonly kind: string;
  /** The disclosures presented, in the order the consent's `disclosures_hash` covers them. */
  readonly disclosures: readonly string[];
  /** Compact JWS, `typ` kyc-consent+jwt, signed by the person's key. */
  readonly consent: string;
}

const PRESENTATION_FIELDS = ['personId', 'certifier', 'kind', 'disclosures', 'consent'];

function fail(detail: string): never {
  throw new KycError('KYC_INVALID_ARGUMENT', `presentation: ${detail}`);
}

function parseDisclosureList(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_CLAIMS) {
    fail(`'disclosures' must be an array of 1 to ${MAX_CLAIMS} strings`);
  }
  const list = value as unknown[];
  const valid = list.every(
    (item) => typeof item === 'string' && item.length > 0 && item.length <= MAX_DISCLOSURE_LENGTH,
  );
  if (!valid || new Set(list).size !== list.length) {
    fail(`'disclosures' must be distinct strings of at most ${MAX_DISCLOSURE_LENGTH} characters`);
  }
  return list as string[];
}

function text(value: unknown, pattern: RegExp, field: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) {
    fail(`'${field}' is missing or malformed`);
  }
  return value;
}

/**
 * Checks the shape of a decrypted presentation: exactly the five fields, a P-256 did:key, MSP id, record kind,
 * 1..32 distinct disclosure strings and a consent string. It does not parse the disclosures or verify the
 * consent: the bank service does that against the ledger record.
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the offending field.
 */
export function parsePresentation(value: Readonly<Record<string, unknown>>): Presentation {
  const extra = Object.keys(value).filter((name) => !PRESENTATION_FIELDS.includes(name));
  if (extra.length > 0) {
    fail(`unexpected field '${(extra[0] ?? '').slice(0, 32)}'`);
  }
  if (!isP256DidKeyShape(value.personId)) {
    fail(`'personId' must be a P-256 did:key`);
  }
  const consent = value.consent;
  if (typeof consent !== 'string' || consent.length === 0 || consent.length > MAX_JWS_LENGTH) {
    fail(`'consent' must be a compact JWS`);
  }
  return {
    personId: value.personId,
    certifier: text(value.certifier, MSP_ID, 'certifier'),
    kind: text(value.kind, RECORD_KIND, 'kind'),
    disclosures: parseDisclosureList(value.disclosures),
    consent,
  };
}
