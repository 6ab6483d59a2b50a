import type { Context } from 'fabric-contract-api';
import type { KeyObject } from 'node:crypto';
import {
  CLAIM_NAME,
  KycError,
  MAX_CLAIMS,
  MAX_DISCLOSURE_LENGTH,
  MAX_JWS_LENGTH,
  MSP_ID,
  NONCE,
  RECORD_KIND,
} from '../../../protocol/src';
import type { AssuranceLevel } from '../../../protocol/src';
import {
  requireDistinctStrings,
  requireLevel,
  requireMatch,
  requireMspList,
  requireObject,
  requirePersonId,
  requireString,
} from '../common/args';

/** The transient-map key that carries the presentation. */
export const PRESENTATION_TRANSIENT_KEY = 'presentation';
export const MAX_PRESENTATION_BYTES = 64 * 1024;

/**
 * What the bank's gateway passes to VerifyPresentation in the transient map (never in the arguments, which
 * are stored in the block): the person's consent and the disclosures it covers, plus the bank's policy.
 */
export interface CheckedPresentation {
  readonly personId: string;
  readonly publicKey: KeyObject;
  readonly certifier: string;
  readonly kind: string;
  readonly nonce: string;
  readonly consent: string;
  /** In the order presented: the consent's `disclosures_hash` covers this order. */
  readonly disclosures: readonly string[];
  readonly trustedCertifiers: ReadonlySet<string>;
  readonly minLevel: AssuranceLevel;
  /** The claims the registration asked for: a disclosure of any other claim is refused (data minimisation). */
  readonly requestedClaims: ReadonlySet<string>;
  /** Claims that must be among the disclosures (a subset of `requestedClaims`). */
  readonly requiredClaims: readonly string[];
}

function invalid(detail: string): never {
  throw new KycError('KYC_INVALID_ARGUMENT', detail);
}

function decodeTransient(ctx: Context): unknown {
  const bytes = ctx.stub.getTransient().get(PRESENTATION_TRANSIENT_KEY);
  if (bytes === undefined || bytes.length === 0) {
    invalid(`the transient map lacks '${PRESENTATION_TRANSIENT_KEY}'`);
  }
  if (bytes.length > MAX_PRESENTATION_BYTES) {
    invalid(`transient '${PRESENTATION_TRANSIENT_KEY}' is larger than ${MAX_PRESENTATION_BYTES} bytes`);
  }
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    invalid(`transient '${PRESENTATION_TRANSIENT_KEY}' is not UTF-8 JSON`);
  }
}

function requireDisclosureStrings(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_CLAIMS) {
    invalid(`presentation.disclosures must be an array of 1 to ${MAX_CLAIMS} strings`);
  }
  const items = value as unknown[];
  items.forEach((item, index) => requireString(item, `presentation.disclosures[${index}]`, MAX_DISCLOSURE_LENGTH));
  return items as string[];
}

function claimNames(value: unknown, field: string): string[] {
  return requireDistinctStrings(value, `presentation.${field}`, CLAIM_NAME, MAX_CLAIMS, 64);
}

/** The requested claims, non-empty, and the required ones, which the bank may only ask among those. */
function requestedAndRequired(
  value: Record<string, unknown>,
): Pick<CheckedPresentation, 'requestedClaims' | 'requiredClaims'> {
  const requested = claimNames(value.requestedClaims, 'requestedClaims');
  const required = value.requiredClaims === undefined ? [] : claimNames(value.requiredClaims, 'requiredClaims');
  const unrequested = required.find((name) => !requested.includes(name));
  if (unrequested !== undefined) {
    invalid(`presentation.requiredClaims names '${unrequested}', which is not among requestedClaims`);
  }
  return { requestedClaims: new Set(requested), requiredClaims: required };
}

/**
 * Reads and checks the shape of the transient `presentation`: sizes, types, formats; no unknown field.
 * Nothing here is compared with the ledger or the consent yet.
 *
 * @throws KycError KYC_INVALID_ARGUMENT naming the first offending field.
 */
export function readCheckedPresentation(ctx: Context): CheckedPresentation {
  const name = 'presentation';
  const value = requireObject(
    decodeTransient(ctx),
    name,
    [
      'personId',
      'certifier',
      'kind',
      'nonce',
      'consent',
      'disclosures',
      'trustedCertifiers',
      'minLevel',
      'requestedClaims',
    ],
    ['requiredClaims'],
  );
  const { personId, publicKey } = requirePersonId(value.personId, `${name}.personId`);
  if (typeof value.minLevel !== 'number') {
    invalid(`${name}.minLevel must be the number 1, 2 or 3`);
  }
  return {
    personId,
    publicKey,
    certifier: requireMatch(value.certifier, `${name}.certifier`, MSP_ID, 64),
    kind: requireMatch(value.kind, `${name}.kind`, RECORD_KIND, 32),
    nonce: requireMatch(value.nonce, `${name}.nonce`, NONCE, 64),
    consent: requireString(value.consent, `${name}.consent`, MAX_JWS_LENGTH),
    disclosures: requireDisclosureStrings(value.disclosures),
    trustedCertifiers: new Set(requireMspList(value.trustedCertifiers, `${name}.trustedCertifiers`)),
    minLevel: requireLevel(value.minLevel, `${name}.minLevel`),
    ...requestedAndRequired(value),
  };
}
