import { randomBytes } from 'node:crypto';
import type * as Pkcs11Js from 'pkcs11js';
import type { Cryptoki, Handle } from './library';
import { HsmError } from './errors';
import { findObjects, flag, readAttributes } from './keys';

/**
 * AES-256 secret keys on a token, for envelope encryption at rest: a key-encryption key (KEK) is generated
 * inside the token (sensitive, never extractable, encrypt/decrypt only) and used with CKM_AES_GCM to wrap and
 * unwrap the small data keys of the store. Like keys.ts, every function runs on one session the caller has
 * borrowed exclusively; all are synchronous, because AES-GCM over a few dozen bytes costs microseconds, less
 * than a hop to libuv's thread pool.
 */

/** A secret key's id: CKA_ID, 32 random bytes written as 64 lowercase hex characters. */
export type AesKeyId = string;

/** What the token says about an AES key. */
export interface AesKeyInfo {
  readonly id: AesKeyId;
  readonly label: string;
  /** CKA_VALUE_LEN in bytes (32 for the keys made here). */
  readonly length: number;
  readonly sensitive: boolean;
  readonly extractable: boolean;
  readonly alwaysSensitive: boolean;
  readonly neverExtractable: boolean;
  readonly canEncrypt: boolean;
  readonly canDecrypt: boolean;
  readonly canWrap: boolean;
  /** CKA_TOKEN: the key persists on the token (not a session object). */
  readonly onToken: boolean;
}

/** An AES-GCM result: the 12-byte IV and the ciphertext followed by its 16-byte tag. */
export interface GcmCiphertext {
  readonly iv: Buffer;
  readonly ciphertext: Buffer;
}

export const AES_KEY_LENGTH = 32;
export const GCM_IV_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;
/** Largest plaintext the token is asked to encrypt: DEKs are 32 bytes; this leaves room and bounds buffers. */
export const MAX_GCM_PLAINTEXT = 4096;
const MAX_AAD = 1024;
const KEY_ID = /^[0-9a-f]{64}$/;

/**
 * Checks an AES key id: 64 lowercase hex characters.
 *
 * @throws HsmError HSM_INVALID_ARGUMENT otherwise.
 */
export function assertAesKeyId(id: unknown): asserts id is AesKeyId {
  if (typeof id !== 'string' || !KEY_ID.test(id)) {
    throw new HsmError('HSM_INVALID_ARGUMENT', 'an AES key id must be 64 lowercase hex characters');
  }
}

function assertBuffer(value: unknown, what: string, min: number, max: number): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array) || value.length < min || value.length > max) {
    throw new HsmError('HSM_INVALID_ARGUMENT', `${what} must be ${min} to ${max} bytes`);
  }
}

/**
 * Checks the inputs of a GCM operation before anything reaches the token.
 *
 * @throws HsmError HSM_INVALID_ARGUMENT.
 */
export function assertGcmInput(data: unknown, aad: unknown, decrypting: boolean): void {
  const min = decrypting ? GCM_TAG_LENGTH : 1;
  const max = MAX_GCM_PLAINTEXT + (decrypting ? GCM_TAG_LENGTH : 0);
  assertBuffer(data, decrypting ? 'a ciphertext' : 'a plaintext', min, max);
  assertBuffer(aad, 'associated data', 0, MAX_AAD);
}

/**
 * Generates an AES-256 key inside the token: a token object, private, sensitive, never extractable, usable
 * for encryption and decryption only (no wrap/unwrap, so it cannot export other keys), CKA_ID a random id.
 *
 * @throws the token's error (the caller wraps it).
 */
export function generateAesKey(cryptoki: Cryptoki, session: Handle, label: string): AesKeyId {
  const { api, pkcs11 } = cryptoki;
  const id = randomBytes(32);
  api.C_GenerateKey(session, { mechanism: pkcs11.CKM_AES_KEY_GEN }, [
    { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_SECRET_KEY },
    { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_AES },
    { type: pkcs11.CKA_VALUE_LEN, value: AES_KEY_LENGTH },
    { type: pkcs11.CKA_TOKEN, value: true },
    { type: pkcs11.CKA_PRIVATE, value: true },
    { type: pkcs11.CKA_SENSITIVE, value: true },
    { type: pkcs11.CKA_EXTRACTABLE, value: false },
    { type: pkcs11.CKA_ENCRYPT, value: true },
    { type: pkcs11.CKA_DECRYPT, value: true },
    { type: pkcs11.CKA_WRAP, value: false },
    { type: pkcs11.CKA_UNWRAP, value: false },
    { type: pkcs11.CKA_SIGN, value: false },
    { type: pkcs11.CKA_VERIFY, value: false },
    { type: pkcs11.CKA_DERIVE, value: false },
    { type: pkcs11.CKA_ID, value: id },
    { type: pkcs11.CKA_LABEL, value: label },
  ]);
  return id.toString('hex');
}

/** Every AES secret key object with this id (normally one), or with any id when `id` is undefined. */
export function findAesKeys(cryptoki: Cryptoki, session: Handle, id?: AesKeyId): Handle[] {
  const { pkcs11 } = cryptoki;
  return findObjects(cryptoki, session, [
    { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_SECRET_KEY },
    { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_AES },
    ...(id === undefined ? [] : [{ type: pkcs11.CKA_ID, value: Buffer.from(id, 'hex') }]),
  ]);
}

/** Reads the attributes {@link AesKeyInfo} reports; never CKA_VALUE (the token refuses it anyway). */
export function describeAesKey(cryptoki: Cryptoki, session: Handle, handle: Handle): AesKeyInfo {
  const { pkcs11 } = cryptoki;
  const types = [
    pkcs11.CKA_ID,
    pkcs11.CKA_LABEL,
    pkcs11.CKA_VALUE_LEN,
    pkcs11.CKA_SENSITIVE,
    pkcs11.CKA_EXTRACTABLE,
    pkcs11.CKA_ALWAYS_SENSITIVE,
    pkcs11.CKA_NEVER_EXTRACTABLE,
    pkcs11.CKA_ENCRYPT,
    pkcs11.CKA_DECRYPT,
    pkcs11.CKA_WRAP,
    pkcs11.CKA_TOKEN,
  ];
  const [id, label, length, sensitive, extractable, alwaysSensitive, neverExtractable, encrypt, decrypt, wrap, token] =
    readAttributes(cryptoki, session, handle, types);
  return {
    id: id?.toString('hex') ?? '',
    label: label?.toString('utf8') ?? '',
    length: length === undefined || length.length === 0 ? 0 : length.readUIntLE(0, Math.min(length.length, 6)),
    sensitive: flag(sensitive),
    extractable: flag(extractable),
    alwaysSensitive: flag(alwaysSensitive),
    neverExtractable: flag(neverExtractable),
    canEncrypt: flag(encrypt),
    canDecrypt: flag(decrypt),
    canWrap: flag(wrap),
    onToken: flag(token),
  };
}

function gcmMechanism(
  cryptoki: Cryptoki,
  iv: Buffer,
  aad: Uint8Array,
): Parameters<Cryptoki['api']['C_EncryptInit']>[1] {
  const { pkcs11 } = cryptoki;
  const parameter: Pkcs11Js.AesGCM = {
    type: pkcs11.CK_PARAMS_AES_GCM,
    iv,
    aad: Buffer.from(aad),
    ivBits: GCM_IV_LENGTH * 8,
    tagBits: GCM_TAG_LENGTH * 8,
  };
  return { mechanism: pkcs11.CKM_AES_GCM, parameter };
}

/**
 * AES-256-GCM encryption in the token under a fresh random 96-bit IV. Random IVs are safe for up to 2³²
 * encryptions under one key (NIST SP 800-38D), far more than the data keys one KEK wraps between rotations.
 */
export function gcmEncrypt(
  cryptoki: Cryptoki,
  session: Handle,
  key: Handle,
  plaintext: Uint8Array,
  aad: Uint8Array,
): GcmCiphertext {
  const { api } = cryptoki;
  const iv = randomBytes(GCM_IV_LENGTH);
  api.C_EncryptInit(session, gcmMechanism(cryptoki, iv, aad), key);
  const ciphertext = api.C_Encrypt(session, Buffer.from(plaintext), Buffer.alloc(plaintext.length + GCM_TAG_LENGTH));
  return { iv, ciphertext: Buffer.from(ciphertext) };
}

/**
 * AES-256-GCM decryption in the token. A wrong tag (altered ciphertext, other associated data, other key)
 * makes SoftHSM answer CKR_GENERAL_ERROR, other tokens CKR_ENCRYPTED_DATA_INVALID.
 */
export function gcmDecrypt(
  cryptoki: Cryptoki,
  session: Handle,
  key: Handle,
  input: GcmCiphertext,
  aad: Uint8Array,
): Buffer {
  const { api } = cryptoki;
  if (input.iv.length !== GCM_IV_LENGTH) {
    throw new HsmError('HSM_INVALID_ARGUMENT', `a GCM IV must be ${GCM_IV_LENGTH} bytes`);
  }
  api.C_DecryptInit(session, gcmMechanism(cryptoki, input.iv, aad), key);
  return Buffer.from(api.C_Decrypt(session, input.ciphertext, Buffer.alloc(input.ciphertext.length)));
}
