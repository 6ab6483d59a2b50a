import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sinon from 'sinon';
import {
  KycError,
  TYP,
  claimsHash,
  didKeyFromPublicKey,
  disclosuresHash,
  signJws,
  type Claims,
  type Es256Signer,
} from '../../../../protocol/src';
import type { AttestationRecord, KycLedger } from '../../../../gateway/src/ledger/kyc-ledger';

/** Shared fakes for the service tests: a person with a real P-256 key, a stub ledger, a temp data dir. */

export interface Person {
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly sign: Es256Signer;
}

export function newPerson(): Person {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    id: didKeyFromPublicKey(publicKey),
    privateKey,
    sign: (data) => Promise.resolve(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
  };
}

/** The claims salt the fake wallet uses unless a test passes its own. */
export const CLAIMS_SALT = 'dGVzdC1jbGFpbXMtc2FsdA';

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export function certificationRequest(
  person: Person,
  fields: { aud: string; nonce: string; claims: Claims; kind?: string; iat?: number; exp?: number; salt?: string },
): Promise<string> {
  const iat = fields.iat ?? nowSeconds();
  return signJws(
    { typ: TYP.certificationRequest },
    {
      sub: person.id,
      aud: fields.aud,
      nonce: fields.nonce,
      iat,
      exp: fields.exp ?? iat + 600,
      kind: fields.kind ?? 'identity',
      claims_hash: claimsHash(fields.claims, fields.salt ?? CLAIMS_SALT),
    },
    person.sign,
  );
}

export function consent(
  person: Person,
  fields: { aud: string; registrationId: string; nonce: string; disclosures: string[]; certifier?: string },
): Promise<string> {
  const iat = nowSeconds();
  return signJws(
    { typ: TYP.consent },
    {
      sub: person.id,
      aud: fields.aud,
      registration_id: fields.registrationId,
      nonce: fields.nonce,
      iat,
      exp: iat + 300,
      certifier: fields.certifier ?? 'CertifierMSP',
      kind: 'identity',
      disclosures_hash: disclosuresHash(fields.disclosures),
    },
    person.sign,
  );
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
