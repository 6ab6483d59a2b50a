/**
 * The person's wallet: their P-256 key and did:key, certification requests and the certifier client, the
 * credential store, QR decoding, registration verification against trusted bank CAs, and presentations
 * (selective disclosure + consent, encrypted to the bank). No HSM: node:crypto, jose, pngjs and jsQR.
 * The CLI (`cli.ts`) is a thin layer over these functions.
 */
export { KEY_FILE, createPersonKey, loadPersonKey, personKeyFromPrivateKey } from './keys';
export type { PersonKey } from './keys';
export {
  MAX_REQUEST_LIFETIME_SECONDS,
  createCertificationRequest,
  credentialFromApproval,
  normaliseClaims,
} from './certification';
export type { CertificationRequest, CertificationRequestOptions, PendingCertification } from './certification';
export { REQUEST_ID, certifierClient } from './certifier-client';
export type { CertificationState, CertifierClient, CollectingKey } from './certifier-client';
export { credentialClaims, isCurrent, parseCredential, parseRecordReference } from './credential';
export type { Credential, RecordReference } from './credential';
export { STORE_FILE, openWalletStore } from './store';
export type { PickOptions, WalletStore } from './store';
export { MAX_QR_PIXELS, MAX_QR_PNG_BYTES, decodeQrPng } from './qr';
export { FABRIC_ATTRS_OID, certificateDetails, fabricAttributes } from './certificate';
export type { CertificateDetails } from './certificate';
export { loadTrustFile, trustedCasFor, verifyCertificatePath } from './trust';
export type { TrustedCas } from './trust';
export { verifyRegistration } from './registration';
export type { VerifiedRegistration, VerifyRegistrationOptions } from './registration';
export { CONSENT_LIFETIME_SECONDS, buildPresentation, submitPresentation } from './presentation';
export type { BuildPresentationOptions, BuiltPresentation, PresentationPlaintext } from './presentation';
export { DEFAULT_TIMEOUT_MS, requestBytes, requestJson } from './http';
export type { FetchFunction, HttpOptions, HttpRequest } from './http';
