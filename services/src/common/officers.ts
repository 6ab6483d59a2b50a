import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KycError } from '../../../protocol/src';
import { newToken, tokenDigest, type TokenDirectory } from '../http/auth';
import type { KycStore, StoredRecord } from '../../../store/src';

/**
 * The people who act for an organisation through its service (certification officers, bank staff). Each
 * officer is a Fabric identity whose key lives in the organisation's HSM token (kept by the enrollment
 * identity store), so every ledger transaction they cause is signed by them. Here: only their bearer
 * tokens, stored as digests in the state store.
 */

export interface Officer {
  /** The officer's name, which is also their fabric-ca enrollment id. */
  readonly name: string;
  readonly tokenDigest: string;
  readonly createdAt: string;
}

export const OFFICER_NAME = /^[a-z][a-z0-9-]{2,31}$/;

/**
 * Ids of the service's own secrets kept in the officers table (e.g. the certifier's client-address key): no
 * officer name starts with it, and their value is a personal (encrypted) field.
 */
export const SERVICE_SECRET_PREFIX = '#';

/** Officers are records of the store's `officers` table: id = name, ref = token digest (unique), status active. */
const ACTIVE = 'active';

export class OfficerStore implements TokenDirectory {
  readonly adminTokenDigest: string;
  readonly #store: KycStore;

  /**
   * @param store the service's state store (shared by its replicas)
   * @param dataDir the service's state directory
   * @param adminToken the configured admin token; when undefined one is generated once into
   *   `<dataDir>/admin-token` (mode 600) and reused on later starts
   */
  constructor(store: KycStore, dataDir: string, adminToken: string | undefined) {
    this.#store = store;
    this.adminTokenDigest = tokenDigest(adminToken ?? readOrCreateAdminToken(dataDir));
  }

  async officerByTokenDigest(digest: string): Promise<string | undefined> {
    const record = await this.#store.getByRef('officers', digest);
    return record?.status === ACTIVE ? record.id : undefined;
  }

  async get(name: string): Promise<Officer> {
    const record = await this.#store.get('officers', name);
    if (record?.status !== ACTIVE) {
      throw new KycError('KYC_NOT_FOUND', `no officer '${name}'`);
    }
    return toOfficer(record);
  }

  async list(): Promise<readonly Officer[]> {
    const records = await this.#store.listByStatus('officers', ACTIVE, 1000);
    return records.map(toOfficer).sort((a, b) => a.name.localeCompare(b.name));
  }

  async has(name: string): Promise<boolean> {
    return (await this.#store.get('officers', name))?.status === ACTIVE;
  }

  /** Records an enrolled officer and returns their new bearer token (shown once). The database decides duplicates. */
  async add(name: string, now: Date): Promise<{ officer: Officer; token: string }> {
    const token = newToken();
    const officer: Officer = { name, tokenDigest: tokenDigest(token), createdAt: now.toISOString() };
    const inserted = await this.#store.insert('officers', {
      id: name,
      ref: officer.tokenDigest,
      status: ACTIVE,
      createdAt: now.getTime(),
      data: { createdAt: officer.createdAt },
    });
    if (!inserted) {
      throw new KycError('KYC_CONFLICT', `officer '${name}' exists`);
    }
    return { officer, token };
  }
}

function toOfficer(record: StoredRecord): Officer {
  return {
    name: record.id,
    tokenDigest: record.ref ?? '',
    createdAt: typeof record.data.createdAt === 'string' ? record.data.createdAt : '',
  };
}

function readOrCreateAdminToken(dataDir: string): string {
  const path = join(dataDir, 'admin-token');
  if (existsSync(path)) {
    return readFileSync(path, 'utf8').trim();
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = newToken();
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}
