import type { AssuranceLevel } from './messages';

/**
 * The ledger's public records and the bank's transient input, as the chaincode writes and reads them and as
 * clients parse them: one definition for both sides (docs/contract.md).
 */

/** Why a certifier withdrew an attestation. */
export const REVOCATION_REASONS = [
  /** The person's data changed (new address, new name): a new verification is needed. */
  'data-changed',
  /** The certifier suspects the verification was obtained by fraud. */
  'fraud-suspected',
  /** The person asked the certifier to withdraw it. */
  'person-request',
  /** The certifier made a mistake when verifying. */
  'certifier-error',
  /** Any other reason, kept out of the public ledger. */
  'other',
] as const;

export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export const ATTESTATION_DOC_TYPE = 'kyc.attestation';

/**
 * One certifier's attestation of one kind about one person, as the ledger stores it. It holds no personal
 * data: only salted digests of the claims the certifier verified.
 */
export interface Attestation {
  readonly docType: typeof ATTESTATION_DOC_TYPE;
  /** The person's did:key. */
  readonly personId: string;
  /** MSP id of the certifier organisation that owns the record. */
  readonly certifier: string;
  readonly kind: string;
  readonly schema: string;
  readonly level: AssuranceLevel;
  readonly alg: 'sha-256';
  /** Sorted, distinct base64url SHA-256 digests of the disclosures (decoys allowed). */
  readonly digests: readonly string[];
  readonly validFrom: string;
  readonly validUntil: string;
  readonly status: 'active' | 'revoked';
  readonly revocation?: { readonly reason: RevocationReason; readonly revokedAt: string };
  /** 1 on creation, +1 on every change. */
  readonly version: number;
  /** The person's certification-request JWS behind the latest (re)certification. */
  readonly request: string;
  /** `DecodedJws.id` of `request`. */
  readonly requestId: string;
  /** `getID()` of the certifier's officer who submitted the latest (re)certification. */
  readonly certifiedBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/**
 * What a bank passes to VerifyPresentation in the transient map under `presentation` (never in the
 * arguments, which blocks record): the person's consent and the disclosures it covers, and the bank's policy.
 */
export interface PresentationTransient {
  readonly personId: string;
  readonly certifier: string;
  readonly kind: string;
  /** The registration's nonce, which the consent must carry. */
  readonly nonce: string;
  readonly consent: string;
  /** In the order presented: the consent's `disclosures_hash` covers this order. */
  readonly disclosures: readonly string[];
  readonly trustedCertifiers: readonly string[];
  readonly minLevel: number;
  /** The claims the registration asked for: the contract refuses a disclosure of any other claim. */
  readonly requestedClaims: readonly string[];
  /** Claims that must be among the disclosures (a subset of `requestedClaims`). */
  readonly requiredClaims?: readonly string[];
}
