import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import { KycError, type Claims } from '../../../../protocol/src';
import {
  certificationRequest as fixtureRequest,
  consentFor,
  newPerson,
  nowSeconds,
  type TestPerson,
} from '../../../support/kyc-fixtures';
import type { AttestationRecord, KycLedger } from '../../../../gateway/src/ledger/kyc-ledger';

/** Shared fakes for the service tests: a person with a real P-256 key, a stub ledger, a temp data dir. */

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

/** A ledger whose every method is a sinon stub; by default reads find nothing. */
export function stubLedger(): StubLedger {
  const notFound = () => Promise.reject(new KycError('KYC_NOT_FOUND', 'no record'));
  return {
    certify: sinon.stub(),
    renew: sinon.stub(),
    revoke: sinon.stub(),
    getAttestation: sinon.stub().callsFake(notFound),
    getAttestations: sinon.stub().resolves([]),
    getHistory: sinon.stub().resolves([]),
    isVerified: sinon.stub(),
    verifyPresentation: sinon.stub(),
    eraseReceipts: sinon.stub(),
    getReceipts: sinon.stub().resolves([]),
    getUsage: sinon.stub(),
  };
}

/** What the ledger answers to Certify/Renew: echoes the commitment the way the chaincode stores it. */
export function recordFrom(personId: string, certifier: string, args: unknown[], version = 1): AttestationRecord {
  const commitment = args[args.length - 1] as AttestationRecord;
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
