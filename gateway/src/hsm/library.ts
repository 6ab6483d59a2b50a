import { resolve } from 'node:path';
import type * as Pkcs11Js from 'pkcs11js';
import { HsmError, returnValueOf, toHsmError } from './errors';

/**
 * The process-wide PKCS#11 library. Cryptoki may be initialised only once per process (a second C_Initialize
 * fails with CKR_CRYPTOKI_ALREADY_INITIALIZED), so every user shares one initialisation, counted by reference;
 * the last release finalises it. pkcs11js is loaded here, lazily, and nowhere else in the project.
 */

/** The pkcs11js module: constants and the PKCS11 class. */
export type Pkcs11Module = typeof Pkcs11Js;
/** The loaded library's function table. */
export type Pkcs11Api = Pkcs11Js.PKCS11;
/** A PKCS#11 session or object handle. */
export type Handle = Buffer;

/** One initialised library, shared by every {@link acquireLibrary} caller in the process. */
export interface Cryptoki {
  readonly pkcs11: Pkcs11Module;
  readonly api: Pkcs11Api;
  readonly libraryPath: string;
  /** SOFTHSM2_CONF as it was when C_Initialize read it. */
  readonly softhsm2Conf: string | undefined;
}

interface Shared {
  readonly cryptoki: Cryptoki;
  refs: number;
}

let shared: Shared | undefined;
// Opening and finalising are asynchronous; chain them so two callers never initialise concurrently.
let chain: Promise<unknown> = Promise.resolve();

function serialised<T>(step: () => Promise<T>): Promise<T> {
  const next = chain.then(step, step);
  chain = next.catch(() => undefined);
  return next;
}

async function loadPkcs11js(): Promise<Pkcs11Module> {
  try {
    return await import('pkcs11js');
  } catch (cause) {
    throw new HsmError('HSM_LIBRARY_FAILED', 'the pkcs11js native module did not load (was its build skipped?)', {
      cause,
    });
  }
}

function checkSameLibrary(current: Cryptoki, libraryPath: string, softhsm2Conf: string | undefined): void {
  if (current.libraryPath !== libraryPath) {
    throw new HsmError(
      'HSM_LIBRARY_CONFLICT',
      `this process already uses the PKCS#11 library ${current.libraryPath}; cannot also open ${libraryPath}`,
    );
  }
  if (softhsm2Conf !== undefined && current.softhsm2Conf !== softhsm2Conf) {
    throw new HsmError(
      'HSM_LIBRARY_CONFLICT',
      `the library was initialised with SOFTHSM2_CONF=${current.softhsm2Conf ?? '(unset)'}; SoftHSM reads it only at C_Initialize`,
    );
  }
}

function initialise(pkcs11: Pkcs11Module, libraryPath: string): Pkcs11Api {
  const api = new pkcs11.PKCS11();
  try {
    api.load(libraryPath);
  } catch (cause) {
    throw toHsmError(cause, 'HSM_LIBRARY_FAILED', `cannot load the PKCS#11 library ${libraryPath}`);
  }
  try {
    // OS locking: pkcs11js runs *Async calls on libuv worker threads, so the library must lock for itself.
    api.C_Initialize({ flags: pkcs11.CKF_OS_LOCKING_OK });
  } catch (cause) {
    closeQuietly(api);
    if (returnValueOf(cause) === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      throw toHsmError(
        cause,
        'HSM_LIBRARY_CONFLICT',
        'another component of this process initialised the PKCS#11 library (fabric-common or fabric-gateway HSM code?)',
      );
    }
    throw toHsmError(cause, 'HSM_LIBRARY_FAILED', `C_Initialize failed for ${libraryPath}`);
  }
  return api;
}

function closeQuietly(api: Pkcs11Api): void {
  try {
    api.close();
  } catch {
    // Unloading is best effort: the process keeps running either way.
  }
}

/**
 * Opens (first caller) or shares (later callers) the process's PKCS#11 library.
 *
 * @param libraryPath - path of the PKCS#11 shared object, e.g. `/usr/lib/softhsm/libsofthsm2.so`.
 * @param softhsm2Conf - SoftHSM configuration file; set as SOFTHSM2_CONF before C_Initialize.
 * @throws HsmError HSM_LIBRARY_CONFLICT when another library or configuration is already in use,
 *   HSM_LIBRARY_FAILED when the library cannot be loaded or initialised.
 */
export function acquireLibrary(libraryPath: string, softhsm2Conf?: string): Promise<Cryptoki> {
  const wantedPath = resolve(libraryPath);
  const wantedConf = softhsm2Conf === undefined ? undefined : resolve(softhsm2Conf);
  return serialised(async () => {
    if (shared !== undefined) {
      checkSameLibrary(shared.cryptoki, wantedPath, wantedConf);
      shared.refs += 1;
      return shared.cryptoki;
    }
    const pkcs11 = await loadPkcs11js();
    if (wantedConf !== undefined) {
      process.env.SOFTHSM2_CONF = wantedConf;
    }
    const api = initialise(pkcs11, wantedPath);
    const cryptoki: Cryptoki = { pkcs11, api, libraryPath: wantedPath, softhsm2Conf: process.env.SOFTHSM2_CONF };
    shared = { cryptoki, refs: 1 };
    return cryptoki;
  });
}

/**
 * Gives back one reference; the last one finalises and unloads the library. Callers must have closed their
 * sessions first.
 */
export function releaseLibrary(cryptoki: Cryptoki): Promise<void> {
  return serialised(() => {
    if (shared?.cryptoki !== cryptoki) {
      return Promise.resolve();
    }
    shared.refs -= 1;
    if (shared.refs > 0) {
      return Promise.resolve();
    }
    shared = undefined;
    try {
      cryptoki.api.C_Finalize();
    } catch {
      // Finalising a library whose sessions are already closed has nothing left to lose.
    }
    closeQuietly(cryptoki.api);
    return Promise.resolve();
  });
}

/** True while some caller holds the library open (for tests and diagnostics). */
export function isLibraryOpen(): boolean {
  return shared !== undefined;
}
