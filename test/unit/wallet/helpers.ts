import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDisclosure, KycError, type RegistrationPayload } from '../../../protocol/src';
import { signRegistration } from '../../../protocol/src/jose';
import type { Credential } from '../../../wallet/src';
import type { PersonKey } from '../../../wallet/src/keys';
import { createTestCa, type IssuedCertificate, type TestCa } from '../../support/test-ca';

/** Shared fixtures for the wallet tests: CAs, a bank signer, registrations, credentials, a local HTTP server. */

export function isCode(code: string) {
  return (error: unknown): boolean => {
    if (!(error instanceof KycError)) {
      return false;
    }
    if (error.code !== code) {
      throw new Error(`expected ${code}, got ${error.message}`);
    }
    return true;
  };
}

export function tempDir(): { dir: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'kyc-wallet-test-'));
  return {
    dir,
    dispose: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const FABRIC_BANK_ATTRS = {
  'hf.Affiliation': 'bank.department1',
  'hf.EnrollmentID': 'verifier1',
  'hf.Type': 'client',
  'kyc.role': 'bank-verifier',
};

export interface Pki {
  readonly bankCa: TestCa;
  readonly certifierCa: TestCa;
  readonly otherCa: TestCa;
  /** BankOrg identity with kyc.role=bank-verifier, as fabric-ca would issue it. */
  readonly verifier: IssuedCertificate;
  /** BankOrg identity without the role. */
  readonly clerk: IssuedCertificate;
  /** CertifierOrg identity that (wrongly) carries the bank role. */
  readonly certifierWithBankRole: IssuedCertificate;
  /** Same shape as `verifier`, issued by a CA nobody trusts for BankMSP. */
  readonly impostor: IssuedCertificate;
  /** `{ BankMSP: [bank CA], CertifierMSP: [certifier CA] }`. */
  readonly trustedCas: Record<string, string[]>;
  dispose(): void;
}

export function createPki(): Pki {
  // Subjects and extensions as fabric-ca 1.5 writes them, so sizes (and the QR code) are realistic.
  const bankCa = createTestCa('BankOrg', {
    subject: '/C=US/ST=North Carolina/L=Durham/O=bank.example.com/CN=ca.bank.example.com',
  });
  const certifierCa = createTestCa('CertifierOrg');
  const otherCa = createTestCa('EvilOrg');
  const san = ['subjectAltName=DNS:bank-gateway.example']; // fabric-ca puts the host name in every ecert
  return {
    bankCa,
    certifierCa,
    otherCa,
    verifier: bankCa.issue({
      commonName: 'verifier1',
      // fabric-ca: OU=<identity type> then one OU per affiliation level.
      subjectPrefix: '/C=US/ST=North Carolina/O=Hyperledger/OU=bank/OU=department1',
      ou: 'client',
      attributes: FABRIC_BANK_ATTRS,
      extraExtensions: san,
    }),
    clerk: bankCa.issue({ commonName: 'clerk1', ou: 'client', attributes: { 'hf.Type': 'client' } }),
    certifierWithBankRole: certifierCa.issue({ commonName: 'officer9', ou: 'client', attributes: FABRIC_BANK_ATTRS }),
    impostor: otherCa.issue({ commonName: 'verifier1', ou: 'client', attributes: FABRIC_BANK_ATTRS }),
    trustedCas: { BankMSP: [bankCa.certPem], CertifierMSP: [certifierCa.certPem] },
    dispose() {
      bankCa.dispose();
      certifierCa.dispose();
      otherCa.dispose();
    },
  };
}

export function nonce(): string {
  return randomBytes(16).toString('base64url');
}

export function bankEncryptionKey(): { privateKey: KeyObject; jwk: RegistrationPayload['enc_jwk'] } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { x, y } = publicKey.export({ format: 'jwk' });
  return { privateKey, jwk: { kty: 'EC', crv: 'P-256', x: x ?? '', y: y ?? '' } };
}

export function registrationPayload(
  encJwk: RegistrationPayload['enc_jwk'],
  overrides: Partial<RegistrationPayload> = {},
  now = new Date(),
): RegistrationPayload {
  const iat = Math.floor(now.getTime() / 1000);
  const registrationId = nonce();
  return {
    iss: 'BankMSP',
    registration_id: registrationId,
    nonce: nonce(),
    iat,
    exp: iat + 600,
    endpoint: `https://bank.example.com:8081/v1/registrations/${registrationId}/presentation`,
    claims: ['given_name', 'family_name', 'birth_date', 'nationality'],
    min_level: 2,
    enc_jwk: encJwk,
    purpose: 'Open a current account at Example Bank',
    ...overrides,
  };
}

export function signedRegistration(
  signer: IssuedCertificate,
  payload: RegistrationPayload,
  chain: readonly string[] = [signer.certPem],
): Promise<string> {
  return signRegistration(payload, { sign: signer.sign, certificateChainPem: chain });
}

export const CLAIMS = {
  given_name: 'Zoë',
  family_name: 'Müller',
  birth_date: '1990-04-01',
  nationality: 'DE',
  address: 'Hauptstraße 1, 10115 Berlin',
} as const;

/** What a certifier hands back: one fresh disclosure per claim, and the record reference. */
export function issueCredential(
  key: PersonKey,
  claims: Readonly<Record<string, string>> = CLAIMS,
  record: Partial<Credential['record']> = {},
): Credential {
  return {
    personId: key.did,
    record: {
      certifier: 'CertifierMSP',
      kind: 'identity',
      version: 1,
      level: 2,
      validUntil: '2099-01-01T00:00:00Z',
      ...record,
    },
    disclosures: Object.entries(claims).map(
      ([name, value]) => createDisclosure(randomBytes(16).toString('base64url'), name, value).disclosure,
    ),
    storedAt: new Date().toISOString(),
  };
}

export type Handler = (request: IncomingMessage, body: string, response: ServerResponse) => void;

export interface TestServer {
  readonly url: string;
  readonly requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[];
  close(): Promise<void>;
}

/** A local HTTP server on 127.0.0.1 with a random port; `close()` it in `after`/`finally`. */
export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: TestServer['requests'] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body });
      handler(request, body, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
