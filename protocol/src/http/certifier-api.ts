import { Type, type Static } from '@sinclair/typebox';
import { REVOCATION_REASONS } from '../attestation';
import { MAX_EVIDENCE_JWE_LENGTH } from '../formats';
import { IsoInstant, Level, PersonId, RecordKind, ResourceId, literals } from './common';

/** The certifier service's messages (docs/services.md). */

export const CertificationStatus = literals('pending', 'approved', 'rejected');
export type CertificationStatus = Static<typeof CertificationStatus>;

/** `POST /v1/nonces` → a nonce for the person's certification request. */
export const NonceAnswer = Type.Object({
  /** Fresh nonce to put in the certification request. */
  nonce: Type.String(),
  /** The certifier's MSP id: the request's `aud`. */
  certifier: Type.String(),
  /** When the nonce stops being accepted. */
  expiresAt: IsoInstant,
  /** The certifier's P-256 encryption key (its HSM): evidence JWEs are encrypted to it. */
  encryptionJwk: Type.Object({
    kty: Type.Literal('EC'),
    crv: Type.Literal('P-256'),
    x: Type.String(),
    y: Type.String(),
  }),
});
export type NonceAnswer = Static<typeof NonceAnswer>;

/** `POST /v1/certifications`: the person's claims with their signed request. */
export const CertificationSubmission = Type.Object(
  {
    personId: PersonId,
    kind: RecordKind,
    claims: Type.Record(Type.String(), Type.String(), { description: 'claim name → value (strings, NFC)' }),
    claimsSalt: Type.String({
      pattern: '^[A-Za-z0-9_-]{22,64}$',
      description: "secret salt of the request's claims_hash",
    }),
    request: Type.String({ maxLength: 16384, description: 'certification-request JWS signed by the person' }),
  },
  { additionalProperties: false },
);
export type CertificationSubmission = Static<typeof CertificationSubmission>;

/** `POST /v1/certifications` → 202, and `GET /v1/certifications/:id`: the status only. */
export const CertificationStatusAnswer = Type.Object({ id: Type.String(), status: CertificationStatus });
export type CertificationStatusAnswer = Static<typeof CertificationStatusAnswer>;

/** `POST /v1/certifications/collect`: a collection request signed by the person's key. */
export const CollectionBody = Type.Object(
  {
    request: Type.String({
      maxLength: 16384,
      description: 'collection-request JWS (typ kyc-collection-request+jwt) signed by the person',
    }),
  },
  { additionalProperties: false },
);
export type CollectionBody = Static<typeof CollectionBody>;

/**
 * `POST /v1/certifications/:id/evidence`: a JWE (ECDH-ES, A256GCM, `cty` kyc-evidence+json, `kid` the
 * certification id) to the certifier's encryption key, holding the evidence request signed by the person and
 * the files (docs/protocol.md §4.4).
 */
export const EvidenceBody = Type.Object(
  { jwe: Type.String({ maxLength: MAX_EVIDENCE_JWE_LENGTH, description: 'evidence JWE' }) },
  { additionalProperties: false },
);
export type EvidenceBody = Static<typeof EvidenceBody>;

/** What the person learns of their evidence: what was checked and the level it supports, never a field read. */
export const EvidenceAnswer = Type.Object({
  id: Type.String(),
  status: CertificationStatus,
  /** The highest level an officer may approve at with this evidence. */
  supportedLevel: Level,
  document: Type.Optional(Type.Object({ checkDigitsValid: Type.Boolean(), repairs: Type.Integer() })),
  chip: Type.Optional(Type.Object({ passiveAuthentication: Type.Boolean(), signer: Type.String() })),
  face: Type.Object({ against: literals('document-photo', 'dg2'), match: Type.Boolean() }),
});
export type EvidenceAnswer = Static<typeof EvidenceAnswer>;

/** Where an approved certification's commitment is on the ledger; the wallet keeps it with the disclosures. */
export const RecordReference = Type.Object({
  /** MSP id of the certifier. */
  certifier: Type.String(),
  kind: RecordKind,
  /** 1 on creation, +1 on each renewal. */
  version: Type.Integer({ minimum: 1 }),
  level: Level,
  /** End of validity. */
  validUntil: IsoInstant,
});
export type RecordReference = Static<typeof RecordReference>;

/**
 * What the person collects: the status, the reason of a rejection, and once approved the record reference
 * and, the first time only, the disclosures. Never the claims.
 */
export const CollectedCertification = Type.Object({
  id: Type.String(),
  status: CertificationStatus,
  kind: Type.Optional(RecordKind),
  submittedAt: Type.Optional(IsoInstant),
  decidedAt: Type.Optional(IsoInstant),
  reason: Type.Optional(Type.String()),
  disclosures: Type.Optional(Type.Array(Type.String())),
  record: Type.Optional(RecordReference),
  collectedAt: Type.Optional(IsoInstant),
});
export type CollectedCertification = Static<typeof CollectedCertification>;

/** What an officer reviews: no disclosures (the salts are the person's), the claims while pending. */
export const OfficerCertificationView = Type.Composite([
  Type.Omit(CollectedCertification, ['disclosures']),
  Type.Object({
    personId: PersonId,
    claims: Type.Optional(Type.Record(Type.String(), Type.String())),
    decidedBy: Type.Optional(Type.String()),
    /** The highest level an approval may give: 1 without evidence (docs/intake.md §4). */
    supportedLevel: Type.Optional(Level),
    /**
     * What the intake engine saw (docs/intake.md §4): while pending with the fields read, after the decision
     * only results, scores, model versions and input hashes.
     */
    evidence: Type.Optional(Type.Unknown()),
  }),
]);
export type OfficerCertificationView = Static<typeof OfficerCertificationView>;

export const ApproveBody = Type.Object({ level: Level }, { additionalProperties: false });
export type ApproveBody = Static<typeof ApproveBody>;

export const RejectBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 200 }) },
  { additionalProperties: false },
);
export type RejectBody = Static<typeof RejectBody>;

export const RevokeBody = Type.Object({ reason: literals(...REVOCATION_REASONS) }, { additionalProperties: false });
export type RevokeBody = Static<typeof RevokeBody>;

export const CertificationIdParams = Type.Object({ id: ResourceId });
