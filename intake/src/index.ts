/**
 * The intake engine (issue #11): reads an identity document's MRZ, checks an e-passport chip by passive
 * authentication, matches a selfie with the portrait, and records evidence from which the assurance level
 * follows. Images are processed in memory only; see docs/intake.md for the data-protection rules.
 */
export { MAX_IMAGE_BYTES, imageType } from './image';
export { MrzReader, type MrzReading, type OcrVersions } from './mrz/reader';
export { type MrzClaims, type ParsedMrz, parseMrz } from './mrz/claims';
export { TD1, TD3, type MrzFormat } from './mrz/layout';
export type { Repair } from './mrz/repair';
export {
  type PassiveAuthInput,
  type PassiveAuthResult,
  type TrustList,
  passiveAuthentication,
} from './chip/passive-auth';
export { type Portrait, readDg1, readDg2 } from './chip/lds';
export { jpeg2000Codestream, jpeg2000Decoder, jpeg2000ToPng } from './chip/jpeg2000';
export {
  FACE_MATCH_THRESHOLD,
  type Face,
  type FaceMatch,
  describeFace,
  faceDistance,
  faceModelVersions,
  loadFaceModels,
  matchFaces,
} from './face/matcher';
export { LIVENESS_NOTE, type Liveness, livenessModel, livenessScores } from './face/liveness';
export {
  type Evidence,
  chipEvidence,
  claimsMatchEvidence,
  evidenceSummary,
  faceEvidence,
  ocrEvidence,
  levelFromEvidence,
  sha256Hex,
} from './evidence';
