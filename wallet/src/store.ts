import { join } from 'node:path';
import { DIGEST, isP256DidKeyShape, KycError, MSP_ID, RECORD_KIND, type AssuranceLevel } from '../../protocol/src';
import type { PendingCertification } from './certification';
import { REQUEST_ID } from './certifier-client';
import { credentialClaims, isCurrent, isIsoUtc, parseCredential, type Credential } from './credential';
import { readFileCapped, writePrivateFileAtomic } from './files';
import { checkServiceUrl } from './http';

/** The store file inside the wallet directory (JSON, mode 0600). */
export const STORE_FILE = 'wallet.json';
const FORMAT = 'kyc-wallet/1';
const MAX_STORE_BYTES = 8 * 1024 * 1024;

export interface PickOptions {
  /** Default: the current time. Expired credentials are never picked. */
  readonly now?: Date;
  /** Lowest acceptable assurance level; default 1. */
  readonly minLevel?: AssuranceLevel;
}

/**
 * The wallet's credentials and pending certification requests, kept in `<walletDir>/wallet.json`. Every change
 * is written at once, atomically. The file is checked in full when opened: a credential whose disclosures no
 * longer parse makes the open fail (and nothing is rewritten), rather than be presented to a bank later.
 */
export interface WalletStore {
  /** All credentials, oldest first. */
  credentials(): readonly Credential[];
  /** Certification requests submitted and not yet collected. */
  pending(): readonly PendingCertification[];
  /** The pending request with this id, if any. */
  findPending(id: string): PendingCertification | undefined;
  /**
   * Stores a credential. A credential for the same certifier and kind is replaced by a newer version.
   *
   * @throws KycError KYC_CONFLICT when the wallet already holds the same or a newer version.
   */
  addCredential(credential: Credential): Promise<void>;
  /** Remembers a submitted certification request. @throws KycError KYC_CONFLICT when its id is known. */
  addPending(pending: PendingCertification): Promise<void>;
  /** Forgets a pending request (collected or rejected). */
  removePending(id: string): Promise<void>;
  /**
   * The best current credential holding every claim in `claimNames`: highest level, then latest validity.
   *
   * @throws KycError KYC_NOT_FOUND when no credential holds them all, KYC_EXPIRED when only expired ones do,
   * KYC_UNTRUSTED when only ones below `minLevel` do.
   */
  pick(claimNames: readonly string[], options?: Readonly<PickOptions>): Credential;
}

interface StoreFile {
  readonly format: typeof FORMAT;
  readonly credentials: Credential[];
  readonly pending: PendingCertification[];
}

function invalid(path: string, detail: string): never {
  throw new KycError('KYC_INVALID_ARGUMENT', `wallet store ${path}: ${detail}`);
}

const PENDING_FIELDS: Readonly<Record<keyof PendingCertification, (value: unknown) => boolean>> = {
  id: (v) => typeof v === 'string' && REQUEST_ID.test(v),
  certifierUrl: (v) => typeof v === 'string' && v.length <= 2048,
  certifier: (v) => typeof v === 'string' && MSP_ID.test(v),
  kind: (v) => typeof v === 'string' && RECORD_KIND.test(v),
  personId: isP256DidKeyShape,
  claimsHash: (v) => typeof v === 'string' && DIGEST.test(v),
  claimsSalt: (v) => typeof v === 'string' && /^[A-Za-z0-9_-]{22,64}$/.test(v),
  requestedAt: isIsoUtc,
};

function parsePending(value: unknown, what: string): PendingCertification {
  const p = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const bad = Object.entries(PENDING_FIELDS).find(([field, check]) => !check(p[field]));
  if (bad !== undefined) {
    throw new KycError('KYC_INVALID_ARGUMENT', `${what}: '${bad[0]}' is missing or malformed`);
  }
  checkServiceUrl(p.certifierUrl as string, `${what} certifier URL`);
  return Object.fromEntries(Object.keys(PENDING_FIELDS).map((f) => [f, p[f]])) as unknown as PendingCertification;
}

function parseStoreFile(text: string, path: string): StoreFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    invalid(path, 'is not JSON');
  }
  const file = value as Partial<Record<keyof StoreFile, unknown>> | null;
  if (file?.format !== FORMAT || !Array.isArray(file.credentials) || !Array.isArray(file.pending)) {
    invalid(path, `is not a ${FORMAT} file`);
  }
  return {
    format: FORMAT,
    credentials: (file.credentials as unknown[]).map((c, i) =>
      withContext(path, `credential ${i}`, parseCredential, c),
    ),
    pending: (file.pending as unknown[]).map((p, i) => withContext(path, `pending request ${i}`, parsePending, p)),
  };
}

/** Runs a parser, prefixing any KycError with the file and the entry it is about. */
function withContext<T>(path: string, what: string, parse: (value: unknown, what: string) => T, value: unknown): T {
  try {
    return parse(value, what);
  } catch (cause) {
    const detail = cause instanceof KycError ? cause.detail : 'is malformed';
    const message = detail.startsWith(what) ? detail : `${what}: ${detail}`;
    throw new KycError('KYC_INVALID_ARGUMENT', `wallet store ${path}: ${message}`, { cause });
  }
}

async function readStoreFile(path: string): Promise<StoreFile> {
  try {
    return parseStoreFile(await readFileCapped(path, MAX_STORE_BYTES, 'wallet store'), path);
  } catch (error) {
    if (error instanceof KycError && error.code === 'KYC_NOT_FOUND') {
      return { format: FORMAT, credentials: [], pending: [] };
    }
    throw error;
  }
}

function sameRecord(a: Credential, b: Credential): boolean {
  return a.record.certifier === b.record.certifier && a.record.kind === b.record.kind && a.personId === b.personId;
}

function rank(a: Credential, b: Credential): number {
  return b.record.level - a.record.level || Date.parse(b.record.validUntil) - Date.parse(a.record.validUntil);
}

function pickFrom(
  all: readonly Credential[],
  claimNames: readonly string[],
  options: Readonly<PickOptions>,
): Credential {
  const now = options.now ?? new Date();
  const holding = all.filter((c) => {
    const claims = credentialClaims(c);
    return claimNames.every((name) => claims.has(name));
  });
  const current = holding.filter((c) => isCurrent(c, now));
  const strong = current.filter((c) => c.record.level >= (options.minLevel ?? 1));
  const best = [...strong].sort(rank)[0];
  if (best !== undefined) {
    return best;
  }
  if (holding.length === 0) {
    throw new KycError('KYC_NOT_FOUND', `no credential holds the claims ${claimNames.join(', ')}`);
  }
  if (current.length === 0) {
    throw new KycError('KYC_EXPIRED', `every credential holding ${claimNames.join(', ')} has expired`);
  }
  throw new KycError('KYC_UNTRUSTED', `no credential holding ${claimNames.join(', ')} has level ${options.minLevel}`);
}

class FileWalletStore implements WalletStore {
  readonly #path: string;
  #state: StoreFile;

  constructor(path: string, state: StoreFile) {
    this.#path = path;
    this.#state = state;
  }

  credentials(): readonly Credential[] {
    return [...this.#state.credentials];
  }

  pending(): readonly PendingCertification[] {
    return [...this.#state.pending];
  }

  findPending(id: string): PendingCertification | undefined {
    return this.#state.pending.find((p) => p.id === id);
  }

  async addCredential(credential: Credential): Promise<void> {
    const checked = parseCredential(credential);
    const existing = this.#state.credentials.find((c) => sameRecord(c, checked));
    if (existing !== undefined && existing.record.version >= checked.record.version) {
      throw new KycError(
        'KYC_CONFLICT',
        `the wallet already holds version ${existing.record.version} of ${checked.record.certifier}/${checked.record.kind}`,
      );
    }
    const others = this.#state.credentials.filter((c) => !sameRecord(c, checked));
    await this.#save({ ...this.#state, credentials: [...others, checked] });
  }

  async addPending(pending: PendingCertification): Promise<void> {
    const checked = parsePending(pending, 'pending request');
    if (this.findPending(checked.id) !== undefined) {
      throw new KycError('KYC_CONFLICT', `certification request ${checked.id} is already pending`);
    }
    await this.#save({ ...this.#state, pending: [...this.#state.pending, checked] });
  }

  async removePending(id: string): Promise<void> {
    await this.#save({ ...this.#state, pending: this.#state.pending.filter((p) => p.id !== id) });
  }

  pick(claimNames: readonly string[], options: Readonly<PickOptions> = {}): Credential {
    return pickFrom(this.#state.credentials, claimNames, options);
  }

  async #save(next: StoreFile): Promise<void> {
    await writePrivateFileAtomic(this.#path, `${JSON.stringify(next, null, 2)}\n`);
    this.#state = next;
  }
}

/**
 * Opens (or, when absent, starts) the store in `walletDir`. The file is created on the first change.
 *
 * @example
 * const store = await openWalletStore(walletDir);
 * const credential = store.pick(['given_name', 'birth_date'], { minLevel: 2 });
 * @throws KycError KYC_INVALID_ARGUMENT when the file exists but is malformed or a credential no longer parses.
 */
export async function openWalletStore(walletDir: string): Promise<WalletStore> {
  const path = join(walletDir, STORE_FILE);
  return new FileWalletStore(path, await readStoreFile(path));
}
