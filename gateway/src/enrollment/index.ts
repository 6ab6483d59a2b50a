/**
 * fabric-ca registration and enrollment for identities whose keys are generated in an HSM token, using the
 * fabric-ca-client package without fabric-common's PKCS#11 suite, and a small file store of the results.
 */
export { ENROLLMENT_ERROR_CODES, EnrollmentError } from './errors';
export type { CaErrorDetail, EnrollmentErrorCode } from './errors';
export { createCsrDer, createCsrPem } from './csr';
export type { CsrOptions, CsrSigner } from './csr';
export { assertCaEndpoint, newCaService, withHsmRegistrar } from './ca-client';
export type { CaEndpoint, HsmRegistrar } from './ca-client';
export { IDENTITY_TYPES, enrollWithHsm, register, registerAndEnroll } from './enroll';
export type {
  EnrollOptions,
  EnrolledIdentity,
  IdentityType,
  RegisterAndEnrollOptions,
  RegisterAttribute,
  RegisterOptions,
} from './enroll';
export { ENROLLMENT_ID, openIdentityStore } from './identity-store';
export type { IdentityStore, StoredIdentity } from './identity-store';
