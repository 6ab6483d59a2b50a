import { createHash, type KeyObject } from 'node:crypto';
import type { Es256Signer } from '../../../protocol/src';
import type { Cryptoki } from './library';
import { HsmError } from './errors';
import { p1363ToLowSDer } from './ecdsa-signature';
import {
  assertAesKeyId,
  assertGcmInput,
  describeAesKey,
  findAesKeys,
  gcmDecrypt,
  gcmEncrypt,
  generateAesKey,
  type AesKeyId,
  type AesKeyInfo,
  type GcmCiphertext,
} from './aes';
import {
  assertKeyLabel,
  describePrivateKey,
  destroyQuietly,
  findPrivateKey,
  generateKeyPair,
  listPrivateKeys,
  objectsWithId,
  publicKeyOf,
  type GeneratedKey,
  type HsmKeyInfo,
  type KeyUsage,
} from './keys';
import { assertSki, uncompressedPoint, type Ski } from './p256';
import type { SessionPoolStats } from './session-pool';
import { acquireSharedToken, releaseSharedToken, type SharedToken, type TokenOptions } from './shared-token';
import { assertTokenLabel } from './slots';

export type { TokenOptions } from './shared-token';

/** What to generate. */
export interface GenerateKeyOptions {
  readonly usage: KeyUsage;
  /** CKA_LABEL of both halves; defaults to the SKI in hex. */
  readonly label?: string;
}

/** Signs a digest for Fabric: DER, low-S. What `@hyperledger/fabric-gateway` calls a Signer. */
export type FabricSigner = (digest: Uint8Array) => Promise<Uint8Array>;

/**
 * An open, logged-in token. Every operation borrows one of the token's sessions exclusively; any number of
 * operations may be in flight. Keys are named by SKI (CKA_ID, lowercase hex).
 */
export interface HsmToken {
  readonly label: string;
  /**
   * Generates a P-256 key pair in the token (private half sensitive, never extractable, for `usage` only).
   *
   * @throws HsmError HSM_INVALID_ARGUMENT, HSM_CLOSED, HSM_OPERATION_FAILED.
   */
  generateKeyPair(options: Readonly<GenerateKeyOptions>): Promise<GeneratedKey>;
  /** What the token says about the private key with this SKI, or undefined when there is none. */
  findKey(ski: Ski): Promise<HsmKeyInfo | undefined>;
  /**
   * The public key with this SKI.
   *
   * @throws HsmError HSM_KEY_NOT_FOUND when the token holds no public key with this SKI.
   */
  publicKeyOf(ski: Ski): Promise<KeyObject>;
  /** Every EC private key on the token. */
  listKeys(): Promise<HsmKeyInfo[]>;
  /**
   * Signs a 32-byte digest with CKM_ECDSA; returns IEEE P1363 `r || s` (64 bytes).
   *
   * @throws HsmError HSM_INVALID_ARGUMENT for a bad SKI or digest, HSM_KEY_NOT_FOUND when no signing key has
   *   this SKI, HSM_BUSY, HSM_CLOSED, HSM_OPERATION_FAILED.
   */
  signDigest(ski: Ski, digest: Uint8Array): Promise<Buffer>;
  /**
   * An ES256 signer for JWS: SHA-256 of the data, signed in the token, `r || s`.
   *
   * @throws HsmError HSM_INVALID_ARGUMENT at once for a malformed SKI; the signer rejects as {@link signDigest}.
   */
  es256(ski: Ski): Es256Signer;
  /**
   * A Fabric signer: signs the digest fabric-gateway hands it; DER with low-S, as Fabric requires.
   *
   * @throws HsmError HSM_INVALID_ARGUMENT at once for a malformed SKI; the signer rejects as {@link signDigest}.
   */
  fabricSigner(ski: Ski): FabricSigner;
  /**
   * The raw ECDH shared secret Z (32 bytes) of the token's derive key and a peer's P-256 public key
   * (CKM_ECDH1_DERIVE with CKD_NULL). JOSE's Concat KDF runs on it in software; the private key stays inside.
   *
   * @throws HsmError HSM_INVALID_ARGUMENT for a bad SKI or a peer key that is not P-256, HSM_KEY_NOT_FOUND when
   *   no derive key has this SKI, HSM_BUSY, HSM_CLOSED, HSM_OPERATION_FAILED.
   */
  deriveSharedSecret(ski: Ski, peerPublicKey: KeyObject): Promise<Buffer>;
  /**
   * Destroys both halves of the key pair with this SKI.
   *
   * @throws HsmError HSM_KEY_NOT_FOUND when the token holds no object with this SKI.
   */
  destroyKey(ski: Ski): Promise<void>;
  /**
   * Generates an AES-256 key-encryption key inside the token (token object, sensitive, never extractable,
   * encrypt/decrypt only) and returns its id (CKA_ID, 64 hex characters).
   *
   * @throws HsmError HSM_INVALID_ARGUMENT for a bad label, HSM_CLOSED, HSM_OPERATION_FAILED.
   */
  generateAesKey(label: string): Promise<AesKeyId>;
  /** What the token says about the AES key with this id, or undefined when there is none. */
  findAesKey(id: AesKeyId): Promise<AesKeyInfo | undefined>;
  /** Every AES key on the token. */
  listAesKeys(): Promise<AesKeyInfo[]>;
  /**
   * AES-256-GCM encryption inside the token with the key `id`, a fresh random IV and associated data `aad`.
   *
   * @throws HsmError HSM_INVALID_ARGUMENT, HSM_KEY_NOT_FOUND, HSM_BUSY, HSM_CLOSED, HSM_OPERATION_FAILED.
   */
  encryptAesGcm(id: AesKeyId, plaintext: Uint8Array, aad: Uint8Array): Promise<GcmCiphertext>;
  /**
   * AES-256-GCM decryption inside the token. A tag mismatch (altered data, other `aad`, other key) fails with
   * HSM_OPERATION_FAILED and the token's return value (SoftHSM: CKR_GENERAL_ERROR).
   *
   * @throws HsmError HSM_INVALID_ARGUMENT, HSM_KEY_NOT_FOUND, HSM_BUSY, HSM_CLOSED, HSM_OPERATION_FAILED.
   */
  decryptAesGcm(id: AesKeyId, input: GcmCiphertext, aad: Uint8Array): Promise<Buffer>;
  /**
   * Destroys the AES key with this id.
   *
   * @throws HsmError HSM_KEY_NOT_FOUND when the token holds no AES key with this id.
   */
  destroyAesKey(id: AesKeyId): Promise<void>;
  /** Session pool sizes right now. */
  stats(): SessionPoolStats;
  /** Releases this handle; the token's sessions close when the last handle in the process closes. Idempotent. */
  close(): Promise<void>;
}

const DIGEST_LENGTH = 32;
const SHARED_SECRET_LENGTH = 32;

function assertDigest(digest: unknown): asserts digest is Uint8Array {
  if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_LENGTH) {
    throw new HsmError('HSM_INVALID_ARGUMENT', `a digest to sign must be ${DIGEST_LENGTH} bytes (SHA-256)`);
  }
}

function assertUsage(usage: unknown): asserts usage is KeyUsage {
  if (usage !== 'sign' && usage !== 'derive') {
    throw new HsmError('HSM_INVALID_ARGUMENT', "key usage must be 'sign' or 'derive'");
  }
}

/** One opener's handle on a shared token: closing it stops this handle only. */
class TokenHandle implements HsmToken {
  readonly #token: SharedToken;
  readonly #cryptoki: Cryptoki;
  readonly #onClose: (handle: TokenHandle) => void;
  #closed = false;

  constructor(cryptoki: Cryptoki, token: SharedToken, onClose: (handle: TokenHandle) => void) {
    this.#cryptoki = cryptoki;
    this.#token = token;
    this.#onClose = onClose;
  }

  get label(): string {
    return this.#token.label;
  }

  async generateKeyPair(options: Readonly<GenerateKeyOptions>): Promise<GeneratedKey> {
    this.#assertOpen();
    assertUsage(options.usage);
    if (options.label !== undefined) {
      assertKeyLabel(options.label);
    }
    return this.#token.run('key generation', (session) =>
      generateKeyPair(this.#cryptoki, session, options.usage, options.label),
    );
  }

  async findKey(ski: Ski): Promise<HsmKeyInfo | undefined> {
    this.#assertOpen();
    assertSki(ski);
    return this.#token.run('key lookup', (session) => {
      const handle = findPrivateKey(this.#cryptoki, session, ski);
      return handle === undefined ? undefined : describePrivateKey(this.#cryptoki, session, handle);
    });
  }

  async publicKeyOf(ski: Ski): Promise<KeyObject> {
    this.#assertOpen();
    assertSki(ski);
    const publicKey = await this.#token.run('public key lookup', (session) =>
      publicKeyOf(this.#cryptoki, session, ski),
    );
    if (publicKey === undefined) {
      throw new HsmError('HSM_KEY_NOT_FOUND', `token '${this.label}' has no public key with SKI ${ski}`, {
        tokenLabel: this.label,
      });
    }
    return publicKey;
  }

  async listKeys(): Promise<HsmKeyInfo[]> {
    this.#assertOpen();
    return this.#token.run('key listing', (session) =>
      listPrivateKeys(this.#cryptoki, session).map((handle) => describePrivateKey(this.#cryptoki, session, handle)),
    );
  }

  async signDigest(ski: Ski, digest: Uint8Array): Promise<Buffer> {
    this.#assertOpen();
    assertSki(ski);
    assertDigest(digest);
    const { api, pkcs11 } = this.#cryptoki;
    return this.#token.withPrivateKey('signing', ski, 'sign', async (session, key) => {
      api.C_SignInit(session, { mechanism: pkcs11.CKM_ECDSA }, key);
      return Buffer.from(await api.C_SignAsync(session, Buffer.from(digest), Buffer.alloc(2 * DIGEST_LENGTH)));
    });
  }

  es256(ski: Ski): Es256Signer {
    assertSki(ski);
    return (data) => this.signDigest(ski, createHash('sha256').update(data).digest());
  }

  fabricSigner(ski: Ski): FabricSigner {
    assertSki(ski);
    return async (digest) => p1363ToLowSDer(await this.signDigest(ski, digest));
  }

  async deriveSharedSecret(ski: Ski, peerPublicKey: KeyObject): Promise<Buffer> {
    this.#assertOpen();
    assertSki(ski);
    const publicData = uncompressedPoint(peerPublicKey);
    const { api, pkcs11 } = this.#cryptoki;
    const secretTemplate = [
      { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_SECRET_KEY },
      { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_GENERIC_SECRET },
      { type: pkcs11.CKA_VALUE_LEN, value: SHARED_SECRET_LENGTH },
      // A session object that may be read once, then destroyed: Z is the input of JOSE's KDF.
      { type: pkcs11.CKA_TOKEN, value: false },
      { type: pkcs11.CKA_SENSITIVE, value: false },
      { type: pkcs11.CKA_EXTRACTABLE, value: true },
    ];
    return this.#token.withPrivateKey('key agreement', ski, 'derive', async (session, key) => {
      const mechanism = {
        mechanism: pkcs11.CKM_ECDH1_DERIVE,
        parameter: { type: pkcs11.CK_PARAMS_EC_DH, kdf: pkcs11.CKD_NULL, publicData },
      };
      const secret = await api.C_DeriveKeyAsync(session, mechanism, key, secretTemplate);
      try {
        const value = api.C_GetAttributeValue(session, secret, [{ type: pkcs11.CKA_VALUE }])[0]?.value;
        if (value?.length !== SHARED_SECRET_LENGTH) {
          throw new HsmError('HSM_OPERATION_FAILED', 'the token derived a secret of the wrong length');
        }
        return Buffer.from(value);
      } finally {
        destroyQuietly(this.#cryptoki, session, secret);
      }
    });
  }

  async destroyKey(ski: Ski): Promise<void> {
    this.#assertOpen();
    assertSki(ski);
    this.#token.forgetKey(ski);
    const destroyed = await this.#token.run('key destruction', (session) => {
      const handles = objectsWithId(this.#cryptoki, session, ski);
      for (const handle of handles) {
        this.#cryptoki.api.C_DestroyObject(session, handle);
      }
      return handles.length;
    });
    if (destroyed === 0) {
      throw new HsmError('HSM_KEY_NOT_FOUND', `token '${this.label}' has no object with SKI ${ski}`, {
        tokenLabel: this.label,
      });
    }
  }

  async generateAesKey(label: string): Promise<AesKeyId> {
    this.#assertOpen();
    assertKeyLabel(label);
    return this.#token.run('AES key generation', (session) => generateAesKey(this.#cryptoki, session, label));
  }

  async findAesKey(id: AesKeyId): Promise<AesKeyInfo | undefined> {
    this.#assertOpen();
    assertAesKeyId(id);
    return this.#token.run('AES key lookup', (session) => {
      const [handle] = findAesKeys(this.#cryptoki, session, id);
      return handle === undefined ? undefined : describeAesKey(this.#cryptoki, session, handle);
    });
  }

  async listAesKeys(): Promise<AesKeyInfo[]> {
    this.#assertOpen();
    return this.#token.run('AES key listing', (session) =>
      findAesKeys(this.#cryptoki, session).map((handle) => describeAesKey(this.#cryptoki, session, handle)),
    );
  }

  async encryptAesGcm(id: AesKeyId, plaintext: Uint8Array, aad: Uint8Array): Promise<GcmCiphertext> {
    this.#assertOpen();
    assertAesKeyId(id);
    assertGcmInput(plaintext, aad, false);
    return this.#token.withAesKey('AES-GCM encryption', id, (session, key) =>
      gcmEncrypt(this.#cryptoki, session, key, plaintext, aad),
    );
  }

  async decryptAesGcm(id: AesKeyId, input: GcmCiphertext, aad: Uint8Array): Promise<Buffer> {
    this.#assertOpen();
    assertAesKeyId(id);
    assertGcmInput(input.ciphertext, aad, true);
    return this.#token.withAesKey('AES-GCM decryption', id, (session, key) =>
      gcmDecrypt(this.#cryptoki, session, key, input, aad),
    );
  }

  async destroyAesKey(id: AesKeyId): Promise<void> {
    this.#assertOpen();
    assertAesKeyId(id);
    this.#token.forgetKey(id);
    const destroyed = await this.#token.run('AES key destruction', (session) => {
      const handles = findAesKeys(this.#cryptoki, session, id);
      for (const handle of handles) {
        this.#cryptoki.api.C_DestroyObject(session, handle);
      }
      return handles.length;
    });
    if (destroyed === 0) {
      throw new HsmError('HSM_KEY_NOT_FOUND', `token '${this.label}' has no AES key with id ${id}`, {
        tokenLabel: this.label,
      });
    }
  }

  stats(): SessionPoolStats {
    return this.#token.stats();
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    this.#onClose(this);
    await releaseSharedToken(this.#token);
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new HsmError('HSM_CLOSED', `the handle on token '${this.label}' was closed`, { tokenLabel: this.label });
    }
  }
}

function assertPin(pin: unknown): asserts pin is string {
  if (typeof pin !== 'string' || pin.length === 0 || pin.length > 255) {
    throw new HsmError('HSM_INVALID_ARGUMENT', 'a PIN must be a non-empty string of at most 255 characters');
  }
}

/**
 * Opens a token by label and logs in, or shares the token if this process has it open already (then the PIN
 * must be the same).
 *
 * @throws HsmError HSM_INVALID_ARGUMENT, HSM_TOKEN_NOT_FOUND, HSM_TOKEN_AMBIGUOUS, HSM_LOGIN_FAILED,
 *   HSM_OPERATION_FAILED.
 */
export async function openToken(
  cryptoki: Cryptoki,
  options: Readonly<TokenOptions>,
  onClose: (handle: HsmToken) => void,
): Promise<HsmToken> {
  assertTokenLabel(options.label);
  assertPin(options.pin);
  const token = await acquireSharedToken(cryptoki, options);
  return new TokenHandle(cryptoki, token, onClose);
}
