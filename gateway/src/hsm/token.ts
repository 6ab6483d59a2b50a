import { createHash, createHmac, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Es256Signer } from '../../../protocol/src';
import type { Cryptoki, Handle } from './library';
import { HsmError, returnValueOf, toHsmError } from './errors';
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
import { SessionPool, type SessionPoolStats } from './session-pool';
import { assertTokenLabel, findSlot } from './slots';

/** How to open a token. */
export interface TokenOptions {
  /** The token's label (CKA_LABEL of the token, e.g. `certifier-clients`). */
  readonly label: string;
  /** The user PIN. Checked once by C_Login, then kept only as a keyed hash to check later openers. */
  readonly pin: string;
  /**
   * Sessions kept open and logged in, each used by one operation at a time (default 4, at most 64). Only the
   * first opener of a token in the process decides; later openers share its pool.
   */
  readonly poolSize?: number;
  /** Longest wait for a free session before HSM_BUSY, in milliseconds (default 30,000). */
  readonly acquireTimeoutMs?: number;
}

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

const DEFAULT_POOL_SIZE = 4;
const MAX_POOL_SIZE = 64;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;
const MAX_ACQUIRE_TIMEOUT_MS = 3_600_000;
const DIGEST_LENGTH = 32;
const SHARED_SECRET_LENGTH = 32;
/** Errors after which a session is closed and replaced rather than lent out again. */
const BROKEN_SESSION = new Set([
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_OPERATION_ACTIVE',
  'CKR_DEVICE_ERROR',
  'CKR_DEVICE_REMOVED',
  'CKR_TOKEN_NOT_PRESENT',
]);
const STALE_HANDLE = new Set(['CKR_KEY_HANDLE_INVALID', 'CKR_OBJECT_HANDLE_INVALID']);

function positiveInteger(value: number | undefined, fallback: number, max: number, what: string): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new HsmError('HSM_INVALID_ARGUMENT', `${what} must be an integer from 1 to ${max}`);
  }
  return value;
}

function pinMac(key: Buffer, pin: string): Buffer {
  return createHmac('sha256', key).update(pin, 'utf8').digest();
}

/** One logged-in token shared by every handle that opened it in this process. */
class SharedToken {
  readonly label: string;
  readonly #cryptoki: Cryptoki;
  readonly #pool: SessionPool<Handle>;
  readonly #pinKey = randomBytes(32);
  readonly #pinMac: Buffer;
  /** Private key handles by `usage:ski`: finding a key costs more than signing with it. */
  readonly #keys = new Map<string, Handle>();
  refs = 0;

  constructor(cryptoki: Cryptoki, label: string, pin: string, pool: SessionPool<Handle>) {
    this.#cryptoki = cryptoki;
    this.label = label;
    this.#pool = pool;
    this.#pinMac = pinMac(this.#pinKey, pin);
  }

  pinMatches(pin: string): boolean {
    return timingSafeEqual(pinMac(this.#pinKey, pin), this.#pinMac);
  }

  stats(): SessionPoolStats {
    return this.#pool.stats();
  }

  close(): Promise<void> {
    this.#keys.clear();
    return this.#pool.close();
  }

  async run<T>(what: string, operation: (session: Handle) => Promise<T> | T): Promise<T> {
    try {
      return await this.#pool.use(operation);
    } catch (error) {
      throw toHsmError(error, 'HSM_OPERATION_FAILED', `${what} failed on token '${this.label}'`, this.label);
    }
  }

  /** Runs `operation` with the private key for `usage`, finding it once and refinding a stale cached handle. */
  withPrivateKey<T>(
    what: string,
    ski: Ski,
    usage: KeyUsage,
    operation: (session: Handle, key: Handle) => Promise<T>,
  ): Promise<T> {
    return this.withKey(
      what,
      `${usage}:${ski}`,
      (session) => findPrivateKey(this.#cryptoki, session, ski, usage),
      () => `token '${this.label}' has no ${usage} key with SKI ${ski}`,
      operation,
    );
  }

  /** Runs `operation` with the AES key `id`, cached like private keys. */
  withAesKey<T>(what: string, id: AesKeyId, operation: (session: Handle, key: Handle) => Promise<T> | T): Promise<T> {
    return this.withKey(
      what,
      `aes:${id}`,
      (session) => findAesKeys(this.#cryptoki, session, id)[0],
      () => `token '${this.label}' has no AES key with id ${id}`,
      operation,
    );
  }

  withKey<T>(
    what: string,
    cacheKey: string,
    find: (session: Handle) => Handle | undefined,
    notFound: () => string,
    operation: (session: Handle, key: Handle) => Promise<T> | T,
  ): Promise<T> {
    return this.run(what, async (session) => {
      const cached = this.#keys.get(cacheKey);
      if (cached !== undefined) {
        try {
          return await operation(session, cached);
        } catch (error) {
          if (!STALE_HANDLE.has(returnValueOf(error) ?? '')) {
            throw error;
          }
          this.#keys.delete(cacheKey);
        }
      }
      const key = find(session);
      if (key === undefined) {
        throw new HsmError('HSM_KEY_NOT_FOUND', notFound(), { tokenLabel: this.label });
      }
      this.#keys.set(cacheKey, key);
      return operation(session, key);
    });
  }

  forgetKey(ski: Ski): void {
    this.#keys.delete(`sign:${ski}`);
    this.#keys.delete(`derive:${ski}`);
    this.#keys.delete(`aes:${ski}`);
  }
}

// Tokens open in this process, by label; a pending open is shared so two openers never both C_Login.
const openTokens = new Map<string, Promise<SharedToken>>();
// Tokens whose last handle closed and whose sessions are still draining: reopening waits for them, because
// the login state lives until the last session closes and a second C_Login would be refused meanwhile.
const closingTokens = new Map<string, Promise<void>>();

function isBrokenSession(error: unknown): boolean {
  return BROKEN_SESSION.has(returnValueOf(error) ?? '');
}

function openSessions(cryptoki: Cryptoki, slot: Handle, options: Readonly<TokenOptions>, size: number): Handle[] {
  const { api, pkcs11 } = cryptoki;
  const { label } = options;
  const sessions: Handle[] = [];
  try {
    sessions.push(api.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION));
    try {
      // Login state belongs to the application, not the session: one C_Login serves every session.
      api.C_Login(sessions[0] as Handle, pkcs11.CKU_USER, options.pin);
    } catch (cause) {
      throw toHsmError(cause, 'HSM_LOGIN_FAILED', `login to token '${label}' failed`, label);
    }
    while (sessions.length < size) {
      sessions.push(api.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION));
    }
    return sessions;
  } catch (error) {
    for (const session of sessions) {
      api.C_CloseSession(session);
    }
    throw toHsmError(error, 'HSM_OPERATION_FAILED', `could not open sessions on token '${label}'`, label);
  }
}

async function createSharedToken(cryptoki: Cryptoki, options: Readonly<TokenOptions>): Promise<SharedToken> {
  const size = positiveInteger(options.poolSize, DEFAULT_POOL_SIZE, MAX_POOL_SIZE, 'poolSize');
  const acquireTimeoutMs = positiveInteger(
    options.acquireTimeoutMs,
    DEFAULT_ACQUIRE_TIMEOUT_MS,
    MAX_ACQUIRE_TIMEOUT_MS,
    'acquireTimeoutMs',
  );
  await closingTokens.get(options.label);
  const slot = findSlot(cryptoki, options.label);
  const sessions = openSessions(cryptoki, slot, options, size);
  const { api, pkcs11 } = cryptoki;
  const pool = new SessionPool<Handle>(sessions, {
    open: () => api.C_OpenSession(slot, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION),
    close: (session) => {
      api.C_CloseSession(session);
    },
    isBroken: isBrokenSession,
    acquireTimeoutMs,
    tokenLabel: options.label,
  });
  return new SharedToken(cryptoki, options.label, options.pin, pool);
}

async function acquireSharedToken(
  cryptoki: Cryptoki,
  options: Readonly<TokenOptions>,
  retry = true,
): Promise<SharedToken> {
  const existing = openTokens.get(options.label);
  if (existing === undefined) {
    const pending = createSharedToken(cryptoki, options);
    openTokens.set(options.label, pending);
    pending.catch(() => {
      if (openTokens.get(options.label) === pending) {
        openTokens.delete(options.label);
      }
    });
    const token = await pending;
    token.refs += 1;
    return token;
  }
  let token: SharedToken;
  try {
    token = await existing;
  } catch (error) {
    // Another opener failed (perhaps with its own wrong PIN): try once with ours.
    if (retry) {
      return acquireSharedToken(cryptoki, options, false);
    }
    throw error;
  }
  if (!token.pinMatches(options.pin)) {
    throw new HsmError('HSM_LOGIN_FAILED', `PIN differs from the one token '${options.label}' was opened with`, {
      tokenLabel: options.label,
    });
  }
  token.refs += 1;
  return token;
}

async function releaseSharedToken(token: SharedToken): Promise<void> {
  token.refs -= 1;
  if (token.refs > 0) {
    return;
  }
  openTokens.delete(token.label);
  const closing = token.close();
  closingTokens.set(token.label, closing);
  try {
    await closing;
  } finally {
    if (closingTokens.get(token.label) === closing) {
      closingTokens.delete(token.label);
    }
  }
}

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
