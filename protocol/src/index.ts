/**
 * The KYC protocol shared by the chaincode, the organisations' gateways and the person's wallet: identifiers,
 * signed-object formats, salted disclosures and error codes. One implementation, so the three sides cannot
 * drift apart byte by byte. Pure functions over node:crypto; no I/O.
 */
export { isBase64Url, decodeBase64UrlStrict, sha256Base64Url } from './base64url';
export { didKeyFromPublicKey, publicKeyFromDidKey, isP256DidKeyShape, compressedPoint } from './did-key';
export {
  CLAIM_NAME,
  DIGEST,
  MAX_CLAIMS,
  MAX_CLAIM_VALUE_LENGTH,
  MAX_DISCLOSURE_LENGTH,
  MIN_SALT_LENGTH,
  assertValidClaims,
  claimsHash,
  createDisclosure,
  disclosuresHash,
  normaliseClaimValue,
  parseDisclosure,
} from './disclosure';
export type { Claims, ParsedDisclosure } from './disclosure';
export { ERROR_CODES, KycError, isErrorCode, parseCodedMessage } from './errors';
export type { ErrorCode } from './errors';
export { MAX_JWS_LENGTH, decodeJws, signJws, verifiesWith, verifyJws } from './jws';
export type { DecodedJws, Es256Signer, JwsHeader } from './jws';
export {
  CERTIFICATION_ID,
  LEVELS,
  MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS,
  MAX_COLLECTION_REQUEST_LIFETIME_SECONDS,
  MAX_CLOCK_SKEW_SECONDS,
  MAX_SIGNED_LIFETIME_SECONDS,
  MSP_ID,
  NONCE,
  PRESENTATION_CONTENT_TYPE,
  RECORD_KIND,
  SCHEMA_ID,
  TYP,
  assertFresh,
  parseCertificationRequestPayload,
  parseCollectionRequestPayload,
  parseConsentPayload,
  parseRegistrationPayload,
} from './messages';
export type {
  AssuranceLevel,
  CertificationRequestPayload,
  CollectionRequestPayload,
  ConsentPayload,
  RegistrationPayload,
} from './messages';
export { createCollectionRequest, verifyCollectionRequest } from './collection';
export type { CollectionRequestOptions, VerifiedCollectionRequest } from './collection';
export { parsePresentation } from './presentation';
export type { Presentation } from './presentation';
export { ATTESTATION_DOC_TYPE, REVOCATION_REASONS } from './attestation';
export type { Attestation, PresentationTransient, RevocationReason } from './attestation';
export {
  KYC_TRANSACTIONS,
  KYC_TRANSACTION_NAMES,
  MAX_ERASED_PER_TRANSACTION,
  encodeArguments,
  isRecordExists,
  recordExistsDetail,
} from './ledger-api';
export type {
  ArgumentEncoding,
  Commitment,
  Confirmation,
  EncodedArguments,
  Erasure,
  HistoryEntry,
  KycTransactionName,
  KycTransactions,
  ParameterSpec,
  Receipt,
  TransactionSpec,
  Usage,
  VerificationResult,
  VerifiedStatus,
} from './ledger-api';
export { checkCertificationRequest, checkConsent } from './checks';
export type {
  CertificationRequestExpectation,
  CheckedCertificationRequest,
  CheckedConsent,
  ConsentExpectation,
} from './checks';
export { ROLES, ROLE_ATTRIBUTE } from './roles';
export type { Role } from './roles';
