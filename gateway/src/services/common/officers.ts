import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KycError } from '../../../../protocol/src';
import { newToken, tokenDigest, type TokenDirectory } from '../../http/auth';
import { JsonState } from './json-state';

/**
 * The people who act for an organisation through its service (certification officers, bank staff). Each
 * officer is a Fabric identity whose key lives in the organisation's HSM token, so every ledger transaction
 * they cause is signed by them; they authenticate to the service with a bearer token stored only as a digest.
 */

/** A Fabric identity whose private key is in the HSM: the certificate and the key's SKI, never the key. */
export interface HsmIdentity {
  readonly mspId: string;
  readonly certificatePem: string;
  /** Hex SKI (CKA_ID of the key in the token). */
  readonly ski: string;
}

export interface Officer {
  readonly name: string;
  readonly identity: HsmIdentity;
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
  add(name: string, identity: HsmIdentity, now: Date): { officer: Officer; token: string } {
    if (this.has(name)) {
      throw new KycError('KYC_CONFLICT', `officer '${name}' exists`);
    }
    const token = newToken();
    const officer: Officer = { name, identity, tokenDigest: tokenDigest(token), createdAt: now.toISOString() };
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
