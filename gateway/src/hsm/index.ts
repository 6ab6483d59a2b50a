/**
 * The project's one PKCS#11 module: the only code that loads pkcs11js. Opens the library once per process
 * with OS locking, opens tokens by label into pools of logged-in sessions lent to one operation at a time,
 * and offers what the gateways need from keys held in the HSM: P-256 key generation, ECDSA signatures (raw
 * `r || s` for JWS, DER low-S for Fabric), ECDH shared secrets for JWE decryption, and AES-256-GCM under
 * key-encryption keys generated in the token (envelope encryption at rest). See docs/hsm.md.
 */
export { openHsm } from './hsm';
export type { Hsm, HsmOptions } from './hsm';
export type { FabricSigner, GenerateKeyOptions, HsmToken, TokenOptions } from './token';
export type { GeneratedKey, HsmKeyInfo, KeyUsage } from './keys';
export { AES_KEY_LENGTH, GCM_IV_LENGTH, GCM_TAG_LENGTH, assertAesKeyId } from './aes';
export type { AesKeyId, AesKeyInfo, GcmCiphertext } from './aes';
export type { InitializeTokenOptions } from './slots';
export type { SessionPoolStats } from './session-pool';
export { HSM_ERROR_CODES, HsmError, isHsmError, hsmErrorToKycError } from './errors';
export type { HsmErrorCode } from './errors';
export {
  P256_EC_PARAMS,
  isSki,
  publicKeyFromPoint,
  ski,
  skiOfCertificate,
  skiOfPoint,
  uncompressedPoint,
} from './p256';
export type { Ski } from './p256';
export { isLowS, p1363ToLowSDer, toLowS } from './ecdsa-signature';
