import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Claims } from '../../protocol/src';
import { certifyPerson, freshOfficerName, openRegistration, present, scanRegistration } from '../../demo/src/flow';
import { serviceClient, type ServiceClient } from '../../demo/src/service-client';
import { trustBundleFromNetwork } from '../../gateway/src/fabric/trust-bundle';
import {
  buildPresentation,
  createCertificationRequest,
  personKeyFromPrivateKey,
  type PersonKey,
} from '../../wallet/src';
import { uniqueClaims } from '../../protocol/testing/simulated-person';
import { uniqueDocumentHolder } from '../../intake/testing/person';
import { networkJsonPath, repoRoot, suiteInstance } from '../support/network';
import {
  ensureServices,
  restartServices,
  serviceFiles,
  serviceUrl,
  stateNumber,
  type RunningServices,
} from '../support/services';

/**
 * The services on their stores (docs/storage.md), on the real network and real processes: no personal value
 * at rest in SQLite or PostgreSQL files, single use across two replicas on one PostgreSQL, nothing
 * acknowledged lost to a SIGKILL, erasure, and the HSM token of the store's key unavailable then back.
 */

const newKey = (): PersonKey => personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
/** Replica `replica` of a service, as network.json lists it (port + 100·replica). */
const url = (service: 'certifier' | 'bank', replica = 0): string => serviceUrl(service, replica);
/** Public endpoints are hit more often here than a person would: limits raised for the suite. */
const LIMITS = { KYC_RATE_LIMIT: '100000', KYC_MAX_NONCES_PER_CLIENT: '1000' };

/** Every way a value could be written: raw, base64, base64url. */
/** A fresh person's signed certification request for the certifier at `certifierUrl`, as the JSON body to post. */
/** A signed certification submission, with a new nonce unless one is given (a second request for it). */
async function signedSubmission(
  certifierUrl: string,
  reuseNonce?: string,
): Promise<{ claims: Claims; body: string; nonce: string }> {
  const key = newKey();
  const claims = uniqueClaims();
  const nonce =
    reuseNonce ??
    ((await (await fetch(`${certifierUrl}/v1/certifications/nonce`, { method: 'POST' })).json()) as { nonce: string })
      .nonce;
  const { request, claimsSalt } = await createCertificationRequest({
    key,
    certifier: 'CertifierMSP',
    nonce,
    kind: 'identity',
    claims,
  });
  return {
    claims,
    nonce,
    body: JSON.stringify({ personId: key.did, kind: 'identity', claims, claimsSalt, request }),
  };
}

const postSubmission = (certifierUrl: string, body: string): Promise<Response> =>
  fetch(`${certifierUrl}/v1/certifications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

function encodings(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  return [...new Set([value, bytes.toString('base64'), bytes.toString('base64url')])];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

/** The values (and their encodings) found in any of the files. */
function foundIn(files: readonly string[], values: readonly string[]): string[] {
  const needles = values.flatMap((v) => encodings(v).map((e) => ({ v, e: Buffer.from(e, 'utf8') })));
  const found = new Set<string>();
  for (const file of files) {
    const bytes = readFileSync(file);
    for (const { v, e } of needles) if (bytes.includes(e)) found.add(v);
  }
  return [...found];
}

interface Flowed {
  readonly key: PersonKey;
  readonly claims: Claims;
  readonly secrets: string[];
  readonly registrationId: string;
}

describe('integration: the services on a database, personal data encrypted under an HSM key', function () {
  this.timeout(300_000);
  let services: RunningServices;
  let certOfficer: ServiceClient;
  let bankOfficer: ServiceClient;
  let certToken: string;
  const walletDirs: string[] = [];

  async function enroll(baseUrl: string, adminToken: string, prefix: string): Promise<string> {
    const admin = serviceClient(baseUrl, adminToken);
    return (await admin.post<{ token: string }>('/v1/officers', { name: freshOfficerName(prefix) })).token;
  }

  async function officers(certifierUrl: string, bankUrl: string): Promise<void> {
    certToken = await enroll(certifierUrl, services.certifierAdminToken, 'officer');
    certOfficer = serviceClient(certifierUrl, certToken);
    bankOfficer = serviceClient(bankUrl, await enroll(bankUrl, services.bankAdminToken, 'clerk'));
  }

  /** Certify (submit, approve, collect) and verify at the bank: the whole flow. */
  async function flow(certifierUrl: string): Promise<Flowed> {
    const key = newKey();
    const { claims, evidence } = await uniqueDocumentHolder();
    const { credential } = await certifyPerson({ certifierUrl, officer: certOfficer, key, claims, level: 2, evidence });
    const opened = await openRegistration(bankOfficer, { claims: ['given_name', 'family_name'], purpose: 'Open' });
    const registration = scanRegistration(opened.png, trustBundleFromNetwork(networkJsonPath(), ['BankMSP']));
    await present({ key, credential, registration, claimNames: ['given_name', 'family_name'] });
    // The unique names and the disclosures: a three-letter nationality could match any bytes by chance.
    const secrets = [claims.given_name, claims.family_name, ...credential.disclosures].filter(
      (v): v is string => v !== undefined,
    );
    return { key, claims, secrets, registrationId: opened.registrationId };
  }

  before(async () => {
    services = ensureServices();
    await restartServices(LIMITS);
    await officers(url('certifier'), url('bank'));
  });

  after(async () => {
    for (const dir of walletDirs) rmSync(dir, { recursive: true, force: true });
    await restartServices({});
    (services as RunningServices | undefined)?.release();
  });

  describe('SQLite (the default)', () => {
    let done: Flowed;

    it('keeps no claim value or disclosure in the database file or its WAL (raw, base64, base64url)', async () => {
      done = await flow(url('certifier'));
      const files = ['certifier', 'bank'].flatMap((s) =>
        ['state.sqlite', 'state.sqlite-wal', 'state.sqlite-shm']
          .map((f) => join(serviceFiles().dataDir, s, f))
          .filter((f) => existsSync(f)),
      );
      assert.ok(
        files.some((f) => f.endsWith('-wal') && statSync(f).size > 0),
        'the WAL is scanned too',
      );
      assert.deepEqual(foundIn(files, done.secrets), []);
      // Control: the scan finds what is stored in the clear (the person's did:key is a column).
      assert.deepEqual(foundIn(files, [done.key.did]), [done.key.did]);
    });

    it('erasure leaves no row, data key or ledger receipt for the person at the bank', async () => {
      const person = encodeURIComponent(done.key.did);
      const before = stateNumber('bank', 'SELECT count(*) FROM registrations WHERE person_id = ?', done.key.did);
      assert.equal(before, 1);
      const erased = await bankOfficer.delete<{ forgottenResults: number }>(`/v1/persons/${person}`);
      assert.equal(erased.forgottenResults, 1);
      assert.equal(stateNumber('bank', 'SELECT count(*) FROM registrations WHERE person_id = ?', done.key.did), 0);
      assert.equal(
        stateNumber(
          'bank',
          'SELECT count(*) FROM registrations WHERE id = ? AND (dek IS NOT NULL OR sealed IS NOT NULL)',
          done.registrationId,
        ),
        0,
        'no data key, no ciphertext',
      );
      assert.deepEqual(await bankOfficer.get(`/v1/persons/${person}/receipts`), []);
      const seen = await bankOfficer.get<{ status: string; result?: unknown }>(
        `/v1/registrations/${done.registrationId}`,
      );
      assert.equal(seen.status, 'verified', 'the registration stays used');
      assert.equal(seen.result, undefined);
    });

    it('without the HSM token of its key the store says why (503, /healthz degraded) and loses nothing', async () => {
      // A second certifier process on the same database, given a PIN file with the wrong PIN.
      const { claims, body } = await signedSubmission(url('certifier'));
      const submitted = await postSubmission(url('certifier'), body);
      const { id } = (await submitted.json()) as { id: string };
      const dir = mkdtempSync(join(tmpdir(), 'kyc-pin-'));
      walletDirs.push(dir);
      const pinFile = join(dir, 'store.pin');
      writeFileSync(pinFile, 'not-the-pin\n', { mode: 0o600 });
      // A spare port beside the certifier's (between its replicas' ports, which step by 100).
      const port = Number(new URL(url('certifier')).port) + 50;
      const child = startCertifier(port, { KYC_STORE_PIN_FILE: pinFile });
      try {
        const base = `http://127.0.0.1:${String(port)}`;
        const health = await waitFor(base, (status) => status === 503);
        assert.equal(health.checks.store, false);
        assert.match(String(health.checks.storeError), /STORE_HSM_UNAVAILABLE/);
        const list = await fetch(`${base}/v1/certifications?status=pending`, {
          headers: { authorization: `Bearer ${certToken}` },
        });
        assert.equal(list.status, 503);
        const body = (await list.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'KYC_UNAVAILABLE');
        assert.match(body.error.message, /STORE_HSM_UNAVAILABLE/);
        assert.ok(!body.error.message.includes('not-the-pin'));
        // The token is back (the right PIN): the same process recovers, and nothing was lost.
        writeFileSync(pinFile, readFileSync(orgPinFile(), 'utf8'), { mode: 0o600 });
        await waitFor(base, (status) => status === 200);
        const pending = (await (
          await fetch(`${base}/v1/certifications?status=pending`, {
            headers: { authorization: `Bearer ${certToken}` },
          })
        ).json()) as { id: string; claims?: Claims }[];
        assert.deepEqual(pending.find((c) => c.id === id)?.claims, claims);
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('./kyc rotate-key re-wraps every data key under a new KEK; the service reads and writes on', async () => {
      const pendingBefore = await certOfficer.get<{ id: string; claims?: Claims }[]>(
        '/v1/certifications?status=pending',
      );
      const rotated = spawnSync('bash', [join(repoRoot(), 'kyc'), 'rotate-key', 'certifier', '--destroy-retired'], {
        env: { ...process.env, KYC_INSTANCE: suiteInstance() },
        encoding: 'utf8',
      });
      assert.equal(rotated.status, 0, rotated.stderr);
      assert.match(rotated.stdout, /rotate-key certifier: complete; retired KEKs: [0-9a-f]+/);
      assert.match(rotated.stdout, /destroyed KEKs: [0-9a-f]+/);
      await new Promise((resolve) => setTimeout(resolve, 1500)); // replicas read the active KEK at most 1 s late
      const pendingAfter = await certOfficer.get<{ id: string; claims?: Claims }[]>(
        '/v1/certifications?status=pending',
      );
      assert.deepEqual(pendingAfter, pendingBefore, 'every record still decrypts');
      await certifyPerson({
        certifierUrl: url('certifier'),
        officer: certOfficer,
        key: newKey(),
        claims: uniqueClaims(),
        level: 1,
      });
    });

    it('a certifier killed (SIGKILL) mid-burst loses no acknowledged submission', async () => {
      const acknowledged: string[] = [];
      const pidFile = join(serviceFiles().dataDir, 'pids', 'certifier.pid');
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      let killed = false;
      const submitOne = async (): Promise<void> => {
        const { body } = await signedSubmission(url('certifier'));
        const answer = await postSubmission(url('certifier'), body);
        if (answer.status === 202) acknowledged.push(((await answer.json()) as { id: string }).id);
        if (acknowledged.length >= 20 && !killed) {
          killed = true;
          process.kill(-pid, 'SIGKILL');
        }
      };
      const queue = Array.from({ length: 50 }, () => submitOne);
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let task = queue.shift(); task !== undefined; task = queue.shift()) {
            await task().catch(() => undefined); // refused connections after the kill
          }
        }),
      );
      assert.ok(killed, 'the service was killed during the burst');
      assert.ok(acknowledged.length >= 20);
      await restartServices(LIMITS);
      const pending = await certOfficer.get<{ id: string }[]>('/v1/certifications?status=pending');
      const present = new Set(pending.map((c) => c.id));
      assert.deepEqual(
        acknowledged.filter((id) => !present.has(id)),
        [],
        'every acknowledged submission is there',
      );
    });
  });

  describe('two replicas per service on one PostgreSQL', () => {
    before(async () => {
      await restartServices({ ...LIMITS, KYC_DB: 'postgres', KYC_REPLICAS: '2' });
      // A new database: its own officers (the admin token is the service's, shared by its replicas).
      await officers(url('certifier'), url('bank', 1));
    });

    after(async () => {
      await restartServices(LIMITS);
      spawnSync('bash', [join(repoRoot(), 'services', 'db.sh'), 'clean'], {
        env: { ...process.env, KYC_INSTANCE: suiteInstance() },
        stdio: 'ignore',
      });
    });

    it('refuses several replicas on SQLite with a clear message', () => {
      const result = spawnSync('bash', [join(repoRoot(), 'services', 'services.sh'), 'start', '--replicas', '2'], {
        env: {
          ...process.env,
          KYC_INSTANCE: 'never-started',
          KYC_DB: 'sqlite',
          KYC_CERTIFIER_DB_URL: '',
          KYC_BANK_DB_URL: '',
        },
        encoding: 'utf8',
      });
      assert.equal(result.status, 2);
      assert.match(result.stderr, /replicas need a shared PostgreSQL database/);
    });

    it('keeps no claim value or disclosure in the cluster data directory after a CHECKPOINT', async () => {
      const done = await flow(url('certifier', 1));
      await checkpoint();
      const files = filesUnder(join(serviceFiles().dataDir, 'postgres'));
      assert.ok(files.length > 100);
      assert.deepEqual(foundIn(files, done.secrets), []);
      assert.deepEqual(foundIn(files, [done.key.did]), [done.key.did], 'control');
    });

    it('lets one of two presentations of one registration, one on each bank replica, be verified; the winner sent again to both gets the same verification', async () => {
      const key = newKey();
      const { claims, evidence } = await uniqueDocumentHolder();
      const { credential } = await certifyPerson({
        certifierUrl: url('certifier'),
        officer: certOfficer,
        key,
        claims,
        level: 2,
        evidence,
      });
      const opened = await openRegistration(bankOfficer, { claims: ['given_name'], purpose: 'Open' });
      const registration = scanRegistration(opened.png, trustBundleFromNetwork(networkJsonPath(), ['BankMSP']));
      // Two presentations (two consents) of one registration, one to each replica: one is verified.
      const [first, rival] = await Promise.all(
        [0, 1].map(() =>
          buildPresentation({ key, registration: registration.payload, credential, claimNames: ['given_name'] }),
        ),
      );
      const post = (replica: number, jwe: string): Promise<Response> =>
        fetch(`${url('bank', replica)}/v1/registrations/${opened.registrationId}/presentation`, {
          method: 'POST',
          headers: { 'content-type': 'application/jose' },
          body: jwe,
        });
      const answers = await Promise.all([post(0, first?.jwe ?? ''), post(1, rival?.jwe ?? '')]);
      const bodies = await Promise.all(answers.map(async (a) => ({ status: a.status, body: await a.text() })));
      assert.deepEqual(bodies.map((b) => b.status).sort(), [200, 409], JSON.stringify(bodies));
      assert.match(bodies.find((b) => b.status === 409)?.body ?? '', /KYC_CONFLICT/);
      // The winner sent again, to either replica (a wallet retrying): the same verification.
      const winner = answers[0].status === 200 ? first : rival;
      const again = await Promise.all([post(0, winner?.jwe ?? ''), post(1, winner?.jwe ?? '')]);
      const repeated = await Promise.all(again.map(async (a) => ({ status: a.status, body: await a.text() })));
      assert.deepEqual(
        repeated.map((r) => r.status),
        [200, 200],
      );
      const won = JSON.parse(bodies.find((b) => b.status === 200)?.body ?? '{}') as { txId?: string };
      for (const r of repeated) assert.equal((JSON.parse(r.body) as { txId?: string }).txId, won.txId);
    });

    it('lets exactly one of two requests for one nonce, one on each certifier replica, use it', async () => {
      const first = await signedSubmission(url('certifier'));
      const rival = await signedSubmission(url('certifier'), first.nonce);
      const answers = await Promise.all(
        [first.body, rival.body].map((body, replica) =>
          postSubmission(url('certifier', replica), body).then(async (a) => ({
            status: a.status,
            body: await a.text(),
          })),
        ),
      );
      assert.deepEqual(answers.map((a) => a.status).sort(), [202, 409], JSON.stringify(answers));
      assert.match(answers.find((a) => a.status === 409)?.body ?? '', /KYC_CONFLICT/);
    });
  });
});

/** The org's real PIN file, as network.json names it. */
function orgPinFile(): string {
  const network = JSON.parse(readFileSync(networkJsonPath(), 'utf8')) as {
    orgs: Record<string, { hsm: { pinFile: string } }>;
  };
  const org = network.orgs.CertifierMSP;
  if (org === undefined) throw new Error('no CertifierMSP in network.json');
  return org.hsm.pinFile;
}

function startCertifier(port: number, env: Readonly<Record<string, string>>): ChildProcess {
  return spawn('node', [join(repoRoot(), 'dist/services/src/certifier/main.js')], {
    env: { ...process.env, ...env, KYC_INSTANCE: suiteInstance(), KYC_PORT: String(port), KYC_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
}

async function waitFor(
  base: string,
  wanted: (status: number) => boolean,
): Promise<{ status: string; checks: Record<string, unknown> }> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const answer = await fetch(`${base}/healthz`).catch(() => undefined);
    if (answer !== undefined && wanted(answer.status)) {
      return (await answer.json()) as { status: string; checks: Record<string, unknown> };
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${base}/healthz never answered as expected`);
}

/** CHECKPOINT in the suite's cluster, so the data files hold what the WAL held. */
async function checkpoint(): Promise<void> {
  const dbUrl = spawnSync('bash', [join(repoRoot(), 'services', 'db.sh'), 'url'], {
    env: { ...process.env, KYC_INSTANCE: suiteInstance() },
    encoding: 'utf8',
  }).stdout.trim();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    await client.query('CHECKPOINT');
  } finally {
    await client.end();
  }
}
