import { HsmError } from './errors';
import { acquireLibrary, releaseLibrary, type Cryptoki } from './library';
import { initializeToken, tokenLabels, type InitializeTokenOptions } from './slots';
import { openToken, type HsmToken, type TokenOptions } from './token';

/** Which PKCS#11 library to use. */
export interface HsmOptions {
  /** Path of the PKCS#11 shared object, e.g. `/usr/lib/softhsm/libsofthsm2.so`. */
  readonly library: string;
  /**
   * SoftHSM configuration file. SoftHSM reads SOFTHSM2_CONF once, at C_Initialize, so this is set in the
   * environment before the first open and must not differ in later opens. Leave unset for other HSMs.
   */
  readonly softhsm2Conf?: string;
}

/** A reference to the process's PKCS#11 library, through which tokens are opened. */
export interface Hsm {
  /** The library path in use (absolute). */
  readonly libraryPath: string;
  /**
   * Opens a token by label and logs in (or shares it, if this process has it open already).
   *
   * @throws HsmError HSM_CLOSED, HSM_INVALID_ARGUMENT, HSM_TOKEN_NOT_FOUND, HSM_TOKEN_AMBIGUOUS,
   *   HSM_LOGIN_FAILED, HSM_OPERATION_FAILED.
   */
  openToken(options: Readonly<TokenOptions>): Promise<HsmToken>;
  /**
   * Initialises a token in a free slot, with its user PIN (for tests and tooling; the network scripts create
   * theirs with softhsm2-util before any process opens the library).
   *
   * @throws HsmError HSM_CLOSED, HSM_INVALID_ARGUMENT, HSM_OPERATION_FAILED.
   */
  initializeToken(options: Readonly<InitializeTokenOptions>): Promise<void>;
  /**
   * Labels of the initialised tokens the library sees.
   *
   * @throws HsmError HSM_CLOSED.
   */
  tokenLabels(): Promise<string[]>;
  /**
   * Closes every token opened through this reference (waiting for operations in flight), then releases the
   * library; the last reference in the process finalises it. Idempotent.
   */
  close(): Promise<void>;
}

class HsmImpl implements Hsm {
  readonly #cryptoki: Cryptoki;
  readonly #tokens = new Set<HsmToken>();
  #closed = false;

  constructor(cryptoki: Cryptoki) {
    this.#cryptoki = cryptoki;
  }

  get libraryPath(): string {
    return this.#cryptoki.libraryPath;
  }

  async openToken(options: Readonly<TokenOptions>): Promise<HsmToken> {
    this.#assertOpen();
    const token = await openToken(this.#cryptoki, options, (handle) => this.#tokens.delete(handle));
    if (this.#closed) {
      // Closed while the login was under way: give the token straight back.
      await token.close();
      this.#assertOpen();
    }
    this.#tokens.add(token);
    return token;
  }

  initializeToken(options: Readonly<InitializeTokenOptions>): Promise<void> {
    // An executor turns synchronous throws into rejections, as callers of a Promise API expect.
    return new Promise((resolve) => {
      this.#assertOpen();
      initializeToken(this.#cryptoki, options);
      resolve();
    });
  }

  tokenLabels(): Promise<string[]> {
    return new Promise((resolve) => {
      this.#assertOpen();
      resolve(tokenLabels(this.#cryptoki));
    });
  }

  async close(): Promise<void> {
    if (this.#closed) {
      return;
    }
    this.#closed = true;
    await Promise.all([...this.#tokens].map((token) => token.close()));
    await releaseLibrary(this.#cryptoki);
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new HsmError('HSM_CLOSED', 'this HSM reference was closed');
    }
  }
}

/**
 * Opens the process's PKCS#11 library (C_Initialize with CKF_OS_LOCKING_OK) or shares it when it is open
 * already. Each call returns its own reference; close each one.
 *
 * @example
 * const hsm = await openHsm({ library: '/usr/lib/softhsm/libsofthsm2.so', softhsm2Conf });
 * const token = await hsm.openToken({ label: 'certifier-clients', pin });
 * const signature = await token.signDigest(ski, digest);
 * await hsm.close();
 * @throws HsmError HSM_LIBRARY_CONFLICT when the process uses another library or SoftHSM configuration (or
 *   something else initialised it), HSM_LIBRARY_FAILED when it cannot be loaded or initialised.
 */
export async function openHsm(options: Readonly<HsmOptions>): Promise<Hsm> {
  if (typeof options.library !== 'string' || options.library.length === 0) {
    throw new HsmError('HSM_INVALID_ARGUMENT', 'the PKCS#11 library path is required');
  }
  return new HsmImpl(await acquireLibrary(options.library, options.softhsm2Conf));
}
