import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import { KycError, type Claims } from '../../../protocol/src';
import {
  certificationRequest as fixtureRequest,
  consentFor,
  newPerson,
  nowSeconds,
  type TestPerson,
} from '../../../protocol/testing/simulated-person';
import { ledgerMethodName, type KycLedger } from '../../../gateway/src/ledger/kyc-ledger';
import { KYC_TRANSACTION_NAMES, type Attestation, type KycTransactionName } from '../../../protocol/src';
import { openHsm } from '../../../gateway/src/hsm';
import { openStore, sqlitePathFor, type KycStore } from '../../../store/src';
import { softHsm } from '../../support/softhsm';

/**
 * Shared fakes for the service tests: a person with a real P-256 key, a stub ledger, a temp data dir, and a
 * real store (SQLite in the temp dir, personal fields encrypted under a KEK in the test SoftHSM token).
 */

export type Person = TestPerson;
export { newPerson, nowSeconds };

/** The claims salt the fake wallet uses unless a test passes its own. */
export const CLAIMS_SALT = 'dGVzdC1jbGFpbXMtc2FsdA';

export function certificationRequest(
  person: Person,
  fields: { aud: string; nonce: string; claims: Claims; kind?: string; iat?: number; exp?: number; salt?: string },
): Promise<string> {
  return fixtureRequest(person, { ...fields, claimsSalt: fields.salt ?? CLAIMS_SALT });
}

export function consent(
  person: Person,
  fields: { aud: string; registrationId: string; nonce: string; disclosures: string[]; certifier?: string },
): Promise<string> {
  return consentFor(person, fields);
}

export type StubLedger = { [K in keyof KycLedger]: sinon.SinonStub };

/**
 * A ledger whose every method (one per row of the ledger API table) is a sinon stub; reads find nothing.
 * `prepare` runs the transaction's stub (the chaincode runs at endorsement) and keeps its answer in the
 * prepared bytes; `commit` answers it, as a commit of those bytes does; both are stubs too, so a test can make
 * a commit fail.
 */
export function stubLedger(): StubLedger {
  const stubs = Object.fromEntries(
    KYC_TRANSACTION_NAMES.map((name) => [ledgerMethodName(name), sinon.stub()]),
  ) as StubLedger;
  stubs.prepare = sinon.stub().callsFake(async (name: KycTransactionName, ...args: unknown[]) => {
    const result: unknown = await stubs[ledgerMethodName(name) as keyof StubLedger](...args);
    const bytes = Buffer.from(JSON.stringify(result ?? null)).toString('base64url');
    return { name, id: randomBytes(16).toString('hex'), bytes };
  });
  stubs.commit = sinon
    .stub()
    .callsFake((prepared: { bytes: string }) =>
      Promise.resolve(JSON.parse(Buffer.from(prepared.bytes, 'base64url').toString()) as unknown),
    );
  stubs.getAttestation.rejects(new KycError('KYC_NOT_FOUND', 'no record'));
  stubs.getAttestations.resolves([]);
  stubs.getHistory.resolves([]);
  stubs.getReceipts.resolves([]);
  return stubs;
}

/** What the ledger answers to Certify/Renew: echoes the commitment the way the chaincode stores it. */
export function recordFrom(personId: string, certifier: string, args: unknown[], version = 1): Attestation {
  const commitment = args[args.length - 1] as Attestation;
  return {
    ...commitment,
    docType: 'kyc.attestation',
    personId,
    certifier,
    kind: 'identity',
    alg: 'sha-256',
    status: 'active',
    version,
    request: '',
    requestId: '',
    certifiedBy: 'x509::CN=officer',
    createdAt: commitment.validFrom,
    updatedAt: commitment.validFrom,
  };
}

export function tempDir(): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), 'kyc-services-'));
  return {
    path,
    remove: () => {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

export function isKycError(code: string) {
  return (e: unknown): boolean => e instanceof KycError && e.code === code;
}

/** A real encrypted SQLite store in `dir` (closing it also releases the HSM). Open it again to "restart". */
export async function testStore(dir: string): Promise<KycStore> {
  const fixture = softHsm();
  const hsm = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
  const { label, pin } = fixture.token('services');
  try {
    const store = await openStore({
      database: { backend: 'sqlite', path: sqlitePathFor(dir) },
      encryption: { hsm, tokenLabel: label, pin },
    });
    const close = store.close.bind(store);
    return Object.assign(store, {
      close: async (): Promise<void> => {
        await close();
        await hsm.close();
      },
    });
  } catch (err) {
    await hsm.close();
    throw err;
  }
}

/**
 * The raw rows of some tables, read from the SQLite file by another connection: for "nothing changed" and
 * "not stored in plaintext" checks.
 */
export function rawRows(
  dir: string,
  tables: readonly string[] = ['nonces', 'certifications', 'registrations'],
): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(sqlitePathFor(dir), { readonly: true, fileMustExist: true });
  try {
    return JSON.stringify(
      tables.map((t) =>
        db
          .prepare(`SELECT * FROM ${t} ORDER BY id`)
          .all()
          .map((row) =>
            Object.fromEntries(
              Object.entries(row as Record<string, unknown>).map(([k, v]) => [
                k,
                Buffer.isBuffer(v) ? v.toString('base64') : v,
              ]),
            ),
          ),
      ),
    );
  } finally {
    db.close();
  }
}

/** Rows of one table with this status (raw). */
export function rawCount(dir: string, table: string, status?: string): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(sqlitePathFor(dir), { readonly: true, fileMustExist: true });
  try {
    const row = (
      status === undefined
        ? db.prepare(`SELECT count(*) AS n FROM ${table}`).get()
        : db.prepare(`SELECT count(*) AS n FROM ${table} WHERE status = ?`).get(status)
    ) as { n: number };
    return row.n;
  } finally {
    db.close();
  }
}
