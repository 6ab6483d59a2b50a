import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { claimsHash, createCollectionRequest, parseDisclosure, type Claims } from '../../protocol/src';
import { certifyPerson, freshOfficerName, openRegistration, present, scanRegistration } from '../../demo/src/flow';
import { serviceClient, type ServiceClient } from '../../demo/src/service-client';
import { trustBundleFromNetwork } from '../../gateway/src/fabric/trust-bundle';
import { certifierClient, createCertificationRequest, personKeyFromPrivateKey, type PersonKey } from '../../wallet/src';
import { uniqueClaims } from '../../protocol/testing/simulated-person';
import { uniqueDocumentHolder } from '../../intake/testing/person';
import { networkJsonPath } from '../support/network';
import { ensureServices, restartServices, serviceFiles, stateNumber, type RunningServices } from '../support/services';

/**
 * The services' defences on the real processes (docs/security.md): no capability, token or
 * personal value in their logs; logs and state owner-only; a certification's outcome only for the person's
 * key, once; bounded anonymous state; framework refusals in the documented error shape.
 */

const newKey = (): PersonKey => personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(url: string, method: 'GET' | 'POST', body?: unknown, token?: string): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function assertRefused(answer: Answer, status: number, code: string): void {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.deepEqual(Object.keys(answer.body), ['error']);
  assert.equal((answer.body.error as { code?: unknown }).code, code);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? [path, ...filesUnder(path)] : [path];
  });
}

describe('integration: the services keep capabilities and personal data to their owners', function () {
  this.timeout(300_000);
  let services: RunningServices;
  let certOfficer: ServiceClient;
  let bankOfficer: ServiceClient;
  const tokens = new Map<ServiceClient, string>();
  /** Values that must never appear in a service log. */
  const secrets: string[] = [];

  async function officer(baseUrl: string, adminToken: string, prefix: string): Promise<ServiceClient> {
    const { token } = await serviceClient(baseUrl, adminToken).post<{ token: string }>('/v1/officers', {
      name: freshOfficerName(prefix),
    });
    secrets.push(token);
    const client = serviceClient(baseUrl, token);
    tokens.set(client, token);
    return client;
  }

  async function submitFor(key: PersonKey, claims: Claims = uniqueClaims()): Promise<{ id: string }> {
    const certifier = certifierClient(services.certifierUrl);
    const { nonce, certifier: mspId } = await certifier.requestNonce();
    const { request, claimsSalt } = await createCertificationRequest({
      key,
      certifier: mspId,
      nonce,
      kind: 'identity',
      claims,
    });
    return certifier.submit({ personId: key.did, kind: 'identity', claims, claimsSalt, request });
  }

  before(async () => {
    services = ensureServices();
    // A fresh start: earlier suites may have used up this client's rate limit on the public endpoints.
    await restartServices({});
    secrets.push(services.certifierAdminToken, services.bankAdminToken);
    certOfficer = await officer(services.certifierUrl, services.certifierAdminToken, 'officer');
    bankOfficer = await officer(services.bankUrl, services.bankAdminToken, 'clerk');
  });

  after(() => {
    (services as RunningServices | undefined)?.release();
  });

  it('hands a certification outcome only to the key it is for, once; everyone else is refused with a code', async () => {
    const key = newKey();
    const claims = uniqueClaims();
    const certifier = certifierClient(services.certifierUrl);
    const { nonce } = await certifier.requestNonce();
    const { request, claimsSalt, payload } = await createCertificationRequest({
      key,
      certifier: 'CertifierMSP',
      nonce,
      kind: 'identity',
      claims,
    });
    const { id } = await certifier.submit({ personId: key.did, kind: 'identity', claims, claimsSalt, request });
    secrets.push(id, ...Object.values(claims));
    // Without evidence an officer approves at level 1 only (docs/intake.md §4).
    await certOfficer.post(`/v1/certifications/${id}/approve`, { level: 1 });

    // The id alone says the status and nothing else.
    const byId = await call(`${services.certifierUrl}/v1/certifications/${id}`, 'GET');
    assert.deepEqual(byId.body, { id, status: 'approved' });

    const collect = (body: unknown): Promise<Answer> =>
      call(`${services.certifierUrl}/v1/certifications/collect`, 'POST', body);
    const signed = (
      signer: PersonKey,
      fields: { personId?: string; id?: string; certifier?: string; now?: Date } = {},
    ) =>
      createCollectionRequest({
        personId: fields.personId ?? signer.did,
        sign: signer.sign,
        certifier: fields.certifier ?? 'CertifierMSP',
        certificationId: fields.id ?? id,
        ...(fields.now === undefined ? {} : { now: fields.now }),
      });
    const other = newKey();
    assertRefused(await collect({}), 400, 'KYC_INVALID_ARGUMENT');
    assertRefused(await collect({ request: 'not.a.jws' }), 400, 'KYC_INVALID_ARGUMENT');
    assertRefused(await collect({ request: await signed(other, { personId: key.did }) }), 401, 'KYC_BAD_SIGNATURE');
    assertRefused(await collect({ request: await signed(other) }), 404, 'KYC_NOT_FOUND');
    assertRefused(
      await collect({ request: await signed(key, { id: 'AAAAAAAAAAAAAAAAAAAAAA' }) }),
      404,
      'KYC_NOT_FOUND',
    );
    assertRefused(await collect({ request: await signed(key, { certifier: 'BankMSP' }) }), 422, 'KYC_MISMATCH');
    const stale = await signed(key, { now: new Date(Date.now() - 10 * 60_000) });
    assertRefused(await collect({ request: stale }), 410, 'KYC_EXPIRED');

    const token = await signed(key);
    const first = await collect({ request: token });
    assert.equal(first.status, 200);
    const disclosures = first.body.disclosures as string[];
    secrets.push(...disclosures);
    assert.deepEqual(disclosures.map((d) => parseDisclosure(d).name).sort(), Object.keys(claims).sort());
    assert.equal(
      claimsHash(
        Object.fromEntries(disclosures.map((d) => [parseDisclosure(d).name, parseDisclosure(d).value])),
        claimsSalt,
      ),
      payload.claims_hash,
    );

    assertRefused(await collect({ request: token }), 409, 'KYC_CONFLICT');
    const second = await collect({ request: await signed(key) });
    assert.equal(second.status, 200);
    assert.equal(second.body.status, 'approved');
    assert.equal(second.body.disclosures, undefined, 'the disclosures are handed out once');
    assert.equal(typeof second.body.collectedAt, 'string');
  });

  it('answers an over-long id, on both services, in the documented error shape with a KYC code', async () => {
    const long = 'A'.repeat(300);
    assertRefused(await call(`${services.certifierUrl}/v1/certifications/${long}`, 'GET'), 414, 'KYC_INVALID_ARGUMENT');
    const bank = await fetch(`${services.bankUrl}/v1/registrations/${long}/presentation`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose' },
      body: 'a.b.c.d.e',
    });
    assertRefused(
      { status: bank.status, body: (await bank.json()) as Record<string, unknown> },
      414,
      'KYC_INVALID_ARGUMENT',
    );
  });

  it('after the whole flow, no id, token, person or claim value is in any service log', async () => {
    const key = newKey();
    const { claims, evidence } = await uniqueDocumentHolder();
    const { credential, certificationId } = await certifyPerson({
      certifierUrl: services.certifierUrl,
      officer: certOfficer,
      key,
      claims,
      level: 2,
      evidence,
    });
    const opened = await openRegistration(bankOfficer, { claims: ['given_name'], purpose: 'Open an account' });
    const registration = scanRegistration(opened.png, trustBundleFromNetwork(networkJsonPath(), ['BankMSP']));
    await present({ key, credential, registration, claimNames: ['given_name'] });
    await bankOfficer.get(`/v1/registrations/${opened.registrationId}`);
    await bankOfficer.get(`/v1/persons/${encodeURIComponent(key.did)}/receipts`);
    await call(`${services.certifierUrl}/v1/certifications/${certificationId}?token=${services.bankAdminToken}`, 'GET');
    // A claim value of a few letters (the nationality, a 3-letter country code such as AUT) turns up by chance in
    // any base64 text of a log and identifies nobody: the names and the birthdate are the values to look for.
    const claimValues = Object.values(claims).filter((value) => value.length >= 6);
    secrets.push(certificationId, opened.registrationId, key.did, ...claimValues, ...credential.disclosures);

    const { logs } = serviceFiles();
    for (const log of logs) {
      const text = readFileSync(log, 'utf8');
      assert.ok(text.includes('"route":"/v1/'), `${log} is live`);
      for (const secret of secrets) {
        assert.ok(!text.includes(secret), `${log} holds ${secret.slice(0, 12)}…`);
      }
    }
  });

  it('keeps service logs and state unreadable for other users', function () {
    const { dataDir, logs } = serviceFiles();
    const files = [...logs, dataDir, ...filesUnder(dataDir)];
    assert.ok(files.length > 8);
    for (const file of files) {
      assert.equal(statSync(file).mode & 0o077, 0, `${file} is open to group or others`);
    }
    if (process.getuid?.() !== 0 || !existsSync('/usr/sbin/runuser')) {
      this.skip();
    }
    for (const file of files) {
      const read = spawnSync('runuser', ['-u', 'nobody', '--', statSync(file).isDirectory() ? 'ls' : 'cat', file], {
        encoding: 'utf8',
      });
      assert.notEqual(read.status, 0, `nobody can read ${file}`);
    }
  });

  describe('limits on pending state (services restarted with low limits)', () => {
    // The services' state is in their stores: "nothing stored" is "no new row" (a version bump of a row counts too).
    const certificationRows = (): number =>
      stateNumber('certifier', 'SELECT count(*) + sum(version) FROM certifications');
    const nonceRows = (): number => stateNumber('certifier', 'SELECT count(*) FROM nonces');
    const registrationRows = (): number => stateNumber('bank', 'SELECT count(*) + sum(version) FROM registrations');
    let pendingBefore = 0;
    let openBefore = 0;

    before(async () => {
      pendingBefore = (await certOfficer.get<unknown[]>('/v1/certifications?status=pending')).length;
      openBefore = openRegistrations();
      // Unused nonces of earlier suites (all from 127.0.0.1) still count: the client-address key is the
      // organisation's, kept in the store, so it is the same after a restart (and on every replica).
      const unusedNonces = stateNumber(
        'certifier',
        "SELECT count(*) FROM nonces WHERE status = 'issued' AND expires_at > ?",
        Date.now(),
      );
      await restartServices({
        KYC_MAX_PENDING_PER_PERSON: '2',
        KYC_MAX_PENDING_CERTIFICATIONS: String(pendingBefore + 3),
        KYC_MAX_NONCES_PER_CLIENT: String(unusedNonces + 4),
        KYC_MAX_OPEN_REGISTRATIONS: String(openBefore + 3),
        KYC_MAX_OPEN_REGISTRATIONS_PER_OFFICER: '2',
      });
    });
    after(async () => {
      await restartServices({});
    });

    function openRegistrations(): number {
      return stateNumber(
        'bank',
        "SELECT count(*) FROM registrations WHERE status = 'pending' AND expires_at > ?",
        Date.now(),
      );
    }

    const pendingNow = async (): Promise<number> =>
      (await certOfficer.get<unknown[]>('/v1/certifications?status=pending')).length;

    it('caps pending certifications per person (429 KYC_RATE_LIMITED) and in all (507 KYC_CAPACITY); refusals store nothing', async () => {
      const person = newKey();
      await submitFor(person);
      await submitFor(person);
      const certifier = certifierClient(services.certifierUrl);
      const { nonce } = await certifier.requestNonce();
      const claims = uniqueClaims();
      const attempt = async (key: PersonKey, withNonce: string): Promise<Answer> => {
        const { request, claimsSalt } = await createCertificationRequest({
          key,
          certifier: 'CertifierMSP',
          nonce: withNonce,
          kind: 'identity',
          claims,
        });
        return call(`${services.certifierUrl}/v1/certifications`, 'POST', {
          personId: key.did,
          kind: 'identity',
          claims,
          claimsSalt,
          request,
        });
      };
      const before = certificationRows();
      assertRefused(await attempt(person, nonce), 429, 'KYC_RATE_LIMITED');
      assert.equal(certificationRows(), before, 'nothing stored');
      assert.equal(await pendingNow(), pendingBefore + 2);
      // The refused nonce was not burnt: another person may use it.
      assert.equal((await attempt(newKey(), nonce)).status, 202);
      assert.equal(await pendingNow(), pendingBefore + 3);
      const { nonce: last } = await certifier.requestNonce();
      const full = certificationRows();
      for (let i = 0; i < 3; i++) {
        assertRefused(await attempt(newKey(), last), 507, 'KYC_CAPACITY');
      }
      assert.equal(certificationRows(), full, 'the state stops growing');
      assert.equal(await pendingNow(), pendingBefore + 3);
    });

    it('caps outstanding nonces per client (429 KYC_RATE_LIMITED); refusals store nothing', async () => {
      const nonce = (): Promise<Answer> => call(`${services.certifierUrl}/v1/certifications/nonce`, 'POST', {});
      let issued = 0;
      let answer = await nonce();
      while (answer.status === 200 && issued < 10) {
        issued++;
        answer = await nonce();
      }
      assert.ok(issued <= 4, `${String(issued)} nonces issued`);
      assertRefused(answer, 429, 'KYC_RATE_LIMITED');
      const before = nonceRows();
      for (let i = 0; i < 5; i++) assertRefused(await nonce(), 429, 'KYC_RATE_LIMITED');
      assert.equal(nonceRows(), before);
    });

    it('caps open registrations per officer (429) and in all (507) at the bank; refusals store nothing', async () => {
      const clerk = await officer(services.bankUrl, services.bankAdminToken, 'clerk');
      const other = await officer(services.bankUrl, services.bankAdminToken, 'clerk');
      const open = (client: ServiceClient): Promise<Answer> =>
        call(
          `${services.bankUrl}/v1/registrations`,
          'POST',
          { claims: ['given_name'], purpose: 'p' },
          tokens.get(client),
        );
      assert.equal((await open(clerk)).status, 201);
      assert.equal((await open(clerk)).status, 201);
      const before = registrationRows();
      assertRefused(await open(clerk), 429, 'KYC_RATE_LIMITED');
      assert.equal(registrationRows(), before);
      assert.equal((await open(other)).status, 201);
      const full = registrationRows();
      assertRefused(await open(other), 507, 'KYC_CAPACITY');
      assert.equal(registrationRows(), full, 'the state stops growing');
      assert.equal(openRegistrations(), openBefore + 3);
    });
  });
});
