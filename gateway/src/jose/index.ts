/**
 * The gateway's JOSE and QR pieces: registration requests signed with the bank's (HSM) key, presentation JWEs
 * decrypted with an injected (HSM) ECDH, and QR rendering. Nothing here touches PKCS#11: the HSM operations are
 * passed in as functions (gateway/src/hsm provides them).
 */
export { concatKdf } from './concat-kdf';
export { MAX_PRESENTATION_JWE_LENGTH, decryptPresentation } from './decrypt-presentation';
export type { DecryptPresentationOptions, DeriveSharedSecret } from './decrypt-presentation';
export { MAX_QR_TEXT_BYTES, renderQrCode } from './qr-code';
export type { QrImages, RenderQrCodeOptions } from './qr-code';
export { signRegistration } from './sign-registration';
export type { SignRegistrationOptions } from './sign-registration';
export { softwareEs256Signer, softwareKeyAgreement } from './software-keys';
