/**
 * The protocol's formats: JWS `typ` values, identifier patterns, limits and levels. No imports and no Node
 * API, so the browser wallet (web/app) bundles these very constants instead of a copy.
 */

/**
 * The `typ` of each signed object (docs/protocol.md): each purpose has its own, so a signature made for one
 * purpose can never be replayed as another (domain separation).
 */
export const TYP = {
  /** Person → certifier: "please certify these claims about my key". Signed by the person's key. */
  certificationRequest: 'kyc-certification-request+jwt',
  /** Bank → wallet (QR code): registration request. Signed by the bank's HSM key, x5c to the bank's CA. */
  registration: 'kyc-registration+jwt',
  /** Person → bank: consent to present these disclosures for this registration. Signed by the person's key. */
  consent: 'kyc-consent+jwt',
  /** Person → certifier: "give me the outcome of my certification". Signed by the person's key. */
  collectionRequest: 'kyc-collection-request+jwt',
  /** Person → certifier: "this document and selfie are mine, for certification X". Signed by the person's key. */
  evidenceRequest: 'kyc-evidence-request+jwt',
} as const;

/** Media type of the plaintext inside a presentation JWE (`cty` header). */
export const PRESENTATION_CONTENT_TYPE = 'kyc-presentation+json';

/** Media type of the plaintext inside an evidence JWE (document photo, selfie, chip files) to a certifier. */
export const EVIDENCE_CONTENT_TYPE = 'kyc-evidence+json';

/**
 * The files of an evidence submission by role: a photo of the document's MRZ side, a selfie, and the chip's
 * EF.SOD, DG1 (MRZ) and DG2 (portrait) as a native NFC reader exports them.
 */
export const EVIDENCE_ROLES = ['document', 'selfie', 'sod', 'dg1', 'dg2'] as const;
export type EvidenceRole = (typeof EVIDENCE_ROLES)[number];

/** Most bytes of all files of one evidence submission together (a phone photo and a selfie fit). */
export const MAX_EVIDENCE_BYTES = 8 * 1024 * 1024;

/**
 * Longest evidence JWE accepted, in characters: {@link MAX_EVIDENCE_BYTES} of files and a signed request,
 * base64url-encoded twice (in the JSON, then in the JWE).
 */
export const MAX_EVIDENCE_JWE_LENGTH = Math.ceil(((MAX_EVIDENCE_BYTES * 4) / 3 + 64 * 1024) * (4 / 3));

/** MSP ids as Fabric allows them in practice (letters, digits, dot, dash, underscore). */
export const MSP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Record kinds: what a certifier attests (e.g. `identity`, `address`). */
export const RECORD_KIND = /^[a-z][a-z0-9-]{0,31}$/;
/** Claim schema ids, e.g. `kyc.person.v1`. */
export const SCHEMA_ID = /^[a-z0-9][a-z0-9.:_-]{0,63}$/;
/** Nonces and registration ids: base64url, 16..64 characters (≥ 96 bits). */
export const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
/** Assurance levels in the eIDAS sense: 1 low, 2 substantial, 3 high. */
export const LEVELS = [1, 2, 3] as const;
export type AssuranceLevel = (typeof LEVELS)[number];
/** How far into the future a signed object's `iat` may lie (clock skew between devices and the ledger). */
export const MAX_CLOCK_SKEW_SECONDS = 300;
/** Claim names: lower-case, digits and underscore, at most 64 characters. */
export const CLAIM_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const MAX_CLAIM_VALUE_LENGTH = 1024;
export const MAX_CLAIMS = 32;

/** Bank → wallet: the registration request a QR names (typ `kyc-registration+jwt`, signed by the bank). */
export interface RegistrationPayload {
  readonly iss: string;
  readonly registration_id: string;
  readonly nonce: string;
  readonly iat: number;
  readonly exp: number;
  /** Where the wallet posts the presentation. */
  readonly endpoint: string;
  /** Claim names the bank asks for. */
  readonly claims: readonly string[];
  readonly min_level: AssuranceLevel;
  /** The bank's P-256 encryption key (public JWK), held in its HSM. */
  readonly enc_jwk: { readonly kty: 'EC'; readonly crv: 'P-256'; readonly x: string; readonly y: string };
  /** Human-readable purpose shown to the person before consent. */
  readonly purpose: string;
}
