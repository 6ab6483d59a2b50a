/**
 * JOSE with the organisation's keys: registration requests signed with the bank's (HSM) key, presentation and
 * evidence JWEs decrypted with an injected (HSM) ECDH. Nothing here touches PKCS#11: the HSM operations are
 * passed in as functions (gateway/src/hsm provides them).
 */
export { concatKdf } from './concat-kdf';
export { MAX_PRESENTATION_JWE_LENGTH, decryptEvidence, decryptPresentation } from './decrypt-jwe';
export type { DecryptJweOptions, DeriveSharedSecret } from './decrypt-jwe';
export { signRegistration } from './sign-registration';
export type { SignRegistrationOptions } from './sign-registration';
