import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KycError } from '../../../../protocol/src';
import { newToken, tokenDigest, type TokenDirectory } from '../../http/auth';
import { JsonState } from './json-state';

/**
 * The people who act for an organisation through its service (certification officers, bank staff). Each
 * officer is a Fabric identity whose key lives in the organisation's HSM token (kept by the enrollment
 * identity store), so every ledger transaction they cause is signed by them. Here: only their bearer
 * tokens, stored as digests.
 */

export interface Officer {
  /** The officer's name, which is also their fabric-ca enrollment id. */
  readonly name: string;
  readonly tokenDigest: string;
  readonly createdAt: string;
}

export const OFFICER_NAME = /^[a-z][a-z0-9-]{2,31}$/;

interface OfficerDocument {
  officers: Record<string, Officer>;
}

export class OfficerStore implements TokenDirectory {
  readonly adminTokenDigest: string;
  readonly #state: JsonState<OfficerDocument>;

  /**
   * @param dataDir the service's state directory
   * @param adminToken the configured admin token; when undefined one is generated once into
   *   `<dataDir>/admin-token` (mode 600) and reused on later starts
   */
  constructor(dataDir: string, adminToken: string | undefined) {
    this.#state = new JsonState<OfficerDocument>(join(dataDir, 'officers.json'), () => ({ officers: {} }));
    this.adminTokenDigest = tokenDigest(adminToken ?? readOrCreateAdminToken(dataDir));
  }

  officerByTokenDigest(digest: string): string | undefined {
    return Object.values(this.#state.value.officers).find((o) => o.tokenDigest === digest)?.name;
  }

  get(name: string): Officer {
    const officer = this.#state.value.officers[name];
    if (officer === undefined) {
      throw new KycError('KYC_NOT_FOUND', `no officer '${name}'`);
    }
    return officer;
  }

  list(): readonly Officer[] {
    return Object.values(this.#state.value.officers).sort((a, b) => a.name.localeCompare(b.name));
  }

  has(name: string): boolean {
    return name in this.#state.value.officers;
  }

  /** Records an enrolled officer and returns their new bearer token (shown once). */
  add(name: string, now: Date): { officer: Officer; token: string } {
    if (this.has(name)) {
      throw new KycError('KYC_CONFLICT', `officer '${name}' exists`);
    }
    const token = newToken();
    const officer: Officer = { name, tokenDigest: tokenDigest(token), createdAt: now.toISOString() };
    this.#state.update((doc) => {
      doc.officers[name] = officer;
    });
    return { officer, token };
  }
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
