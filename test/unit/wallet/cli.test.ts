import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  claimsHash,
  createDisclosure,
  disclosuresHash,
  parseCertificationRequestPayload,
  parseConsentPayload,
  publicKeyFromDidKey,
  TYP,
  verifyCollectionRequest,
  verifyJws,
} from '../../../protocol/src';
import { parsePresentation } from '../../../protocol/src';
import { decryptPresentation } from '../../../protocol/src/jose';
import { renderQrCode } from '../../../services/src/bank/qr-code';
import { softwareKeyAgreement } from '../../support/software-keys';
import { runCli, type CliIo } from '../../../wallet/src/cli';
import {
  bankEncryptionKey,
  CLAIMS,
  createPki,
  nonce,
  registrationPayload,
  sendJson,
  signedRegistration,
  startServer,
  tempDir,
  type Pki,
  type TestServer,
} from './helpers';

const CLI = resolve(__dirname, '../../../wallet/src/cli.js');
const run = promisify(execFile);

interface Captured {
  code: number;
  out: string;
  err: string;
}

describe('wallet CLI', () => {
  it('prints help with --help and exits 0 (as a real process)', async () => {
    const { stdout } = await run(process.execPath, [CLI, '--help']);
    assert.match(stdout, /^Usage: kyc-wallet <command>/);
    for (const command of ['init', 'did', 'certify', 'collect', 'list', 'scan', 'present']) {
      assert.match(stdout, new RegExp(`^  ${command}\\b`, 'm'));
    }
  });

  it('exits 1 with a coded message on stderr when the wallet has no key (as a real process)', async () => {
    const tmp = tempDir();
    try {
      await assert.rejects(
        run(process.execPath, [CLI, 'did', '--wallet', tmp.dir]),
        (error: { code?: number; stderr?: string }) => {
          assert.equal(error.code, 1);
          assert.match(error.stderr ?? '', /^KYC_NOT_FOUND: key file .* does not exist/);
          return true;
        },
      );
    } finally {
      tmp.dispose();
    }
  });

  describe('the whole flow against a fake certifier and a fake bank', () => {
    let tmp: ReturnType<typeof tempDir>;
    let pki: Pki;
    let certifier: TestServer;
    let bankServer: TestServer;
    const bank = bankEncryptionKey();
    let approve = false;
    const collections: string[] = [];
    let submitted:
      | { personId: string; kind: string; claims: Record<string, string>; claimsSalt: string; request: string }
      | undefined;
    let answers: string[] = [];
    const received: Record<string, unknown>[] = [];

    function io(confirmAnswer = false): CliIo & { captured: Captured } {
      const captured: Captured = { code: -1, out: '', err: '' };
      return {
        captured,
        stdout: (text) => (captured.out += text),
        stderr: (text) => (captured.err += text),
        env: { KYC_WALLET_DIR: join(tmp.dir, 'wallet') },
        confirm: () => {
          answers.push('asked');
          return Promise.resolve(confirmAnswer);
        },
      };
    }

    async function cli(args: string[], confirmAnswer = false): Promise<Captured> {
      const handle = io(confirmAnswer);
      handle.captured.code = await runCli(args, handle);
      return handle.captured;
    }

    before(async () => {
      tmp = tempDir();
      pki = createPki();
      certifier = await startServer((req, body, res) => {
        if (req.url === '/v1/certifications/nonce') {
          sendJson(res, 200, {
            nonce: nonce(),
            certifier: 'CertifierMSP',
            expiresAt: new Date(Date.now() + 300_000).toISOString(),
            // A fixed P-256 point: the CLI's certify flow does not send evidence.
            encryptionJwk: {
              kty: 'EC',
              crv: 'P-256',
              x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4',
              y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM',
            },
          });
        } else if (req.method === 'POST' && req.url === '/v1/certifications') {
          submitted = JSON.parse(body);
          sendJson(res, 202, { id: 'req-1', status: 'pending' });
        } else if (req.method === 'POST' && req.url === '/v1/certifications/collect' && submitted !== undefined) {
          // The fake certifier checks the collection request as the real one does: the person's key, this id.
          const { payload } = verifyCollectionRequest((JSON.parse(body) as { request: unknown }).request, {
            audience: 'CertifierMSP',
            now: new Date(),
          });
          collections.push(payload.certification_id);
          if (payload.sub !== submitted.personId || payload.certification_id !== 'req-1') {
            sendJson(res, 404, { error: { code: 'KYC_NOT_FOUND', message: 'no such certification for this key' } });
            return;
          }
          const disclosures = Object.entries(submitted.claims).map(
            ([name, value]) => createDisclosure(randomBytes(16).toString('base64url'), name, value).disclosure,
          );
          const record = {
            certifier: 'CertifierMSP',
            kind: 'identity',
            version: 1,
            level: 2,
            validUntil: '2099-01-01T00:00:00Z',
          };
          sendJson(
            res,
            200,
            approve ? { id: 'req-1', status: 'approved', disclosures, record } : { id: 'req-1', status: 'pending' },
          );
        } else {
          sendJson(res, 404, { error: { code: 'KYC_NOT_FOUND', message: 'no such route' } });
        }
      });
      bankServer = await startServer((_req, body, res) => {
        void decryptPresentation(body, { deriveSharedSecret: softwareKeyAgreement(bank.privateKey) })
          .then((plaintext) => {
            received.push(plaintext);
            sendJson(res, 200, { status: 'verified' });
          })
          .catch((error: unknown) => {
            sendJson(res, 400, { error: { code: 'KYC_DECRYPTION_FAILED', message: String(error) } });
          });
      });
    });
    after(async () => {
      await certifier.close();
      await bankServer.close();
      pki.dispose();
      tmp.dispose();
    });
    beforeEach(() => {
      answers = [];
    });

    let did = '';
    const qr = (): string => join(tmp.dir, 'registration.png');
    const trust = (): string => join(tmp.dir, 'trust.json');

    it('init creates the key and prints the did; did prints it again; a second init is refused', async () => {
      const init = await cli(['init']);
      assert.equal(init.code, 0, init.err);
      did = init.out.trim().split('\n').pop() ?? '';
      assert.match(did, /^did:key:zDn/);
      assert.equal((await cli(['did'])).out.trim(), did);
      const again = await cli(['init']);
      assert.equal(again.code, 1);
      assert.match(again.err, /^KYC_CONFLICT/);
    });

    it('certify sends a request signed by the wallet key over the claims, and prints the request id', async () => {
      const claimsFile = join(tmp.dir, 'claims.json');
      writeFileSync(claimsFile, JSON.stringify(CLAIMS));
      const result = await cli(['certify', '--certifier-url', certifier.url, '--claims', claimsFile]);
      assert.equal(result.code, 0, result.err);
      assert.equal(result.out.trim().split('\n').pop(), 'req-1');
      assert.ok(submitted);
      assert.equal(submitted.personId, did);
      assert.deepEqual(submitted.claims, CLAIMS);
      const payload = parseCertificationRequestPayload(
        verifyJws(submitted.request, TYP.certificationRequest, publicKeyFromDidKey(did)).payload,
      );
      assert.equal(payload.aud, 'CertifierMSP');
      assert.equal(payload.kind, 'identity');
      assert.equal(payload.claims_hash, claimsHash(CLAIMS, submitted.claimsSalt));
    });

    it('collect exits 3 while pending, then stores the credential once approved', async () => {
      const pending = await cli(['collect', '--certifier-url', certifier.url, '--id', 'req-1']);
      assert.equal(pending.code, 3, pending.err);
      approve = true;
      const done = await cli(['collect', '--certifier-url', certifier.url, '--id', 'req-1']);
      assert.equal(done.code, 0, done.err);
      assert.match(done.out, /stored CertifierMSP\/identity v1, level 2/);
      assert.deepEqual(collections, ['req-1', 'req-1'], 'each collection is a request signed by the wallet key');
      const again = await cli(['collect', '--certifier-url', certifier.url, '--id', 'req-1']);
      assert.equal(again.code, 1);
      assert.match(again.err, /^KYC_NOT_FOUND/);
    });

    it('list shows claim names but never values', async () => {
      const list = await cli(['list']);
      assert.equal(list.code, 0, list.err);
      assert.match(list.out, /given_name, family_name, birth_date, nationality, address/);
      for (const value of Object.values(CLAIMS)) {
        assert.equal(list.out.includes(value), false);
      }
    });

    it('scan shows who asks for what, and that the wallet can answer', async () => {
      const payload = registrationPayload(bank.jwk, {
        endpoint: `${bankServer.url}/v1/registrations/r/presentation`,
        claims: ['given_name', 'birth_date'],
      });
      writeFileSync(qr(), (await renderQrCode(await signedRegistration(pki.verifier, payload))).png);
      writeFileSync(trust(), JSON.stringify(pki.trustedCas));
      const scan = await cli(['scan', qr(), '--trust', trust()]);
      assert.equal(scan.code, 0, scan.err);
      assert.match(scan.out, /^BankMSP asks for: given_name, birth_date \(assurance level 2 or higher\)/);
      assert.match(scan.out, /purpose: +Open a current account at Example Bank/);
      assert.match(scan.out, /signed by: .*CN=verifier1/);
      assert.match(scan.out, /you hold: CertifierMSP\/identity v1/);
    });

    it('scan refuses a QR from an untrusted signer with a coded error', async () => {
      const payload = registrationPayload(bank.jwk, { endpoint: `${bankServer.url}/x` });
      const evil = join(tmp.dir, 'evil.png');
      writeFileSync(evil, (await renderQrCode(await signedRegistration(pki.impostor, payload))).png);
      const scan = await cli(['scan', evil, '--trust', trust()]);
      assert.equal(scan.code, 1);
      assert.match(scan.err, /^KYC_UNTRUSTED/);
    });

    it('present asks first and sends nothing when the person says no', async () => {
      const before = bankServer.requests.length;
      const result = await cli(['present', qr(), '--trust', trust(), '--claims', 'given_name'], false);
      assert.equal(result.code, 1);
      assert.deepEqual(answers, ['asked']);
      assert.match(result.out, /warning: +not sending birth_date/);
      assert.equal(bankServer.requests.length, before);
    });

    it('present --yes sends only the chosen claims with a consent the bank can verify', async () => {
      const result = await cli(['present', qr(), '--trust', trust(), '--claims', 'birth_date,given_name', '--yes']);
      assert.equal(result.code, 0, result.err);
      assert.deepEqual(answers, []);
      assert.match(result.out, /BankMSP answered: \{"status":"verified"\}/);
      const presentation = parsePresentation(received.at(-1) ?? {});
      assert.equal(presentation.personId, did);
      assert.equal(presentation.disclosures.length, 2);
      const consent = parseConsentPayload(
        verifyJws(presentation.consent, TYP.consent, publicKeyFromDidKey(did)).payload,
      );
      assert.equal(consent.disclosures_hash, disclosuresHash(presentation.disclosures));
      assert.equal(bankServer.requests.at(-1)?.headers['content-type'], 'application/jose');
    });

    it('present refuses a claim the bank did not ask for, before asking or sending', async () => {
      const before = bankServer.requests.length;
      const result = await cli(['present', qr(), '--trust', trust(), '--claims', 'given_name,nationality']);
      assert.equal(result.code, 1);
      assert.match(result.err, /^KYC_INVALID_ARGUMENT: the bank did not ask for nationality/);
      assert.deepEqual(answers, []);
      assert.equal(bankServer.requests.length, before);
    });

    it('keeps the wallet files private (0700 directory, 0600 files)', () => {
      const dir = join(tmp.dir, 'wallet');
      assert.equal(statSync(dir).mode & 0o777, 0o700);
      for (const file of ['key.pem', 'wallet.json']) {
        assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600, file);
      }
      const store = JSON.parse(readFileSync(join(dir, 'wallet.json'), 'utf8')) as {
        credentials: unknown[];
        pending: unknown[];
      };
      assert.equal(store.credentials.length, 1);
      assert.equal(store.pending.length, 0);
    });

    it('answers usage errors with exit 2', async () => {
      for (const args of [
        ['frobnicate'],
        ['certify', '--claims', 'x.json'],
        ['scan'],
        ['did', '--claims', 'a'],
        ['present', 'q.png', '--trust', 't', '--claims', 'Bad-Name'],
        ['--nope'],
        [],
      ]) {
        const result = await cli(args);
        assert.equal(result.code, 2, `${args.join(' ')}: ${result.err}`);
      }
    });
  });
});
