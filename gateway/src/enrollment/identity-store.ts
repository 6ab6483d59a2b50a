import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MSP_ID } from '../../../protocol/src';
import { isSki } from '../hsm';
import type { HsmIdentity } from '../fabric';
import { EnrollmentError } from './errors';

/**
 * A small file store of enrolled HSM identities: per identity one JSON file `<dir>/<mspId>/<enrollmentId>.json`
 * holding the certificate, the key's SKI and the token label. Never a key or a secret: the key stays in the
 * token, and the certificate is public. Writes are atomic (temporary file, then rename).
 */

/** One stored identity. */
export interface StoredIdentity extends HsmIdentity {
  readonly enrollmentId: string;
  /** The token holding the key (CKA_ID = `ski`). */
  readonly tokenLabel: string;
  /** fabric-ca identity type: client, peer, orderer, admin, user. */
  readonly type: string;
  /** ISO 8601 time of enrollment. */
  readonly enrolledAt: string;
}

/** Enrollment ids as fabric-ca accepts them and as safe file names: no path separators, no leading dot. */
export const ENROLLMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

const FORMAT_VERSION = 1;

/** Reads and writes {@link StoredIdentity} files under one directory. */
export interface IdentityStore {
  readonly directory: string;
  /**
   * The identity, or undefined when the store has none by that name.
   *
   * @throws EnrollmentError ENROLLMENT_INVALID_ARGUMENT for malformed names, ENROLLMENT_STORE_FAILED for an
   *   unreadable or malformed file.
   */
  get(mspId: string, enrollmentId: string): StoredIdentity | undefined;
  /** Every identity of every organisation in the store. */
  list(): StoredIdentity[];
  /**
   * Stores an identity; refuses to replace one unless `replace` is set.
   *
   * @throws EnrollmentError ENROLLMENT_CONFLICT when it exists, ENROLLMENT_STORE_FAILED when writing fails.
   */
  put(identity: StoredIdentity, options?: { readonly replace?: boolean }): void;
}

function assertNames(mspId: string, enrollmentId: string): void {
  if (!MSP_ID.test(mspId)) {
    throw new EnrollmentError('ENROLLMENT_INVALID_ARGUMENT', 'malformed MSP id');
  }
  if (!ENROLLMENT_ID.test(enrollmentId)) {
    throw new EnrollmentError('ENROLLMENT_INVALID_ARGUMENT', `enrollment ids must match ${ENROLLMENT_ID.source}`);
  }
}

function isStoredIdentity(value: unknown): value is StoredIdentity & { version: number } {
  const v = value as Partial<Record<keyof StoredIdentity | 'version', unknown>> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    v.version === FORMAT_VERSION &&
    typeof v.mspId === 'string' &&
    typeof v.enrollmentId === 'string' &&
    typeof v.certificatePem === 'string' &&
    isSki(v.ski) &&
    typeof v.tokenLabel === 'string' &&
    typeof v.type === 'string' &&
    typeof v.enrolledAt === 'string'
  );
}

function readIdentity(file: string): StoredIdentity {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new EnrollmentError('ENROLLMENT_STORE_FAILED', `cannot read identity file ${file}`, { cause });
  }
  if (!isStoredIdentity(value)) {
    throw new EnrollmentError('ENROLLMENT_STORE_FAILED', `identity file ${file} is malformed`);
  }
  return {
    mspId: value.mspId,
    enrollmentId: value.enrollmentId,
    type: value.type,
    tokenLabel: value.tokenLabel,
    ski: value.ski,
    enrolledAt: value.enrolledAt,
    certificatePem: value.certificatePem,
  };
}

class FileIdentityStore implements IdentityStore {
  constructor(readonly directory: string) {}

  get(mspId: string, enrollmentId: string): StoredIdentity | undefined {
    assertNames(mspId, enrollmentId);
    const file = this.#file(mspId, enrollmentId);
    return existsSync(file) ? readIdentity(file) : undefined;
  }

  list(): StoredIdentity[] {
    let orgs: string[];
    try {
      orgs = readdirSync(this.directory).filter((name) => MSP_ID.test(name));
    } catch {
      return [];
    }
    return orgs.flatMap((mspId) =>
      readdirSync(join(this.directory, mspId))
        .filter((name) => name.endsWith('.json'))
        .map((name) => readIdentity(join(this.directory, mspId, name))),
    );
  }

  put(identity: StoredIdentity, options: { readonly replace?: boolean } = {}): void {
    assertNames(identity.mspId, identity.enrollmentId);
    if (options.replace !== true && this.get(identity.mspId, identity.enrollmentId) !== undefined) {
      throw new EnrollmentError(
        'ENROLLMENT_CONFLICT',
        `the store already holds ${identity.enrollmentId} of ${identity.mspId}`,
      );
    }
    const file = this.#file(identity.mspId, identity.enrollmentId);
    const record = {
      version: FORMAT_VERSION,
      mspId: identity.mspId,
      enrollmentId: identity.enrollmentId,
      type: identity.type,
      tokenLabel: identity.tokenLabel,
      ski: identity.ski,
      enrolledAt: identity.enrolledAt,
      certificatePem: identity.certificatePem,
    };
    try {
      mkdirSync(join(this.directory, identity.mspId), { recursive: true, mode: 0o700 });
      writeFileSync(`${file}.tmp`, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
      renameSync(`${file}.tmp`, file);
    } catch (cause) {
      throw new EnrollmentError('ENROLLMENT_STORE_FAILED', `cannot write identity file ${file}`, { cause });
    }
  }

  #file(mspId: string, enrollmentId: string): string {
    return join(this.directory, mspId, `${enrollmentId}.json`);
  }
}

/** An identity store in `directory` (created on the first write). */
export function openIdentityStore(directory: string): IdentityStore {
  return new FileIdentityStore(directory);
}
