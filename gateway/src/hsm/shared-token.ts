import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Cryptoki, Handle } from './library';
import { HsmError, returnValueOf, toHsmError } from './errors';
import { SessionPool, type SessionPoolStats } from './session-pool';
import { findSlot } from './slots';
import { findAesKeys, type AesKeyId } from './aes';
import { findPrivateKey, type KeyUsage } from './keys';
import type { Ski } from './p256';

/**
 * The process-wide side of a token: one login and one pool of sessions per token label, shared by every
 * handle that opened it (token.ts), with the registry that makes a second opener share instead of logging in
 * again. A second C_Login on a logged-in token is refused, so this sharing is what makes several openers work.
 */

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

const DEFAULT_POOL_SIZE = 4;
const MAX_POOL_SIZE = 64;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;
const MAX_ACQUIRE_TIMEOUT_MS = 3_600_000;
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
export class SharedToken {
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

export async function acquireSharedToken(
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

export async function releaseSharedToken(token: SharedToken): Promise<void> {
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
