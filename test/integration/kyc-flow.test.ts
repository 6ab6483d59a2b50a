import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import {
  KycError,
  PRESENTATION_CONTENT_TYPE,
  TYP,
  createDisclosure,
  parseDisclosure,
  signJws,
  type Claims,
} from '../../protocol/src';
import { loadNetworkConfig, loadUser, openNetworkHsm } from '../../gateway/src/fabric';
import type { Hsm } from '../../gateway/src/hsm';
import {
  certifyPerson,
  enrollOfficer,
  freshOfficerName,
  openRegistration,
  present,
  scanRegistration,
} from '../../demo/src/flow';
import { serviceClient, type ServiceClient } from '../../demo/src/service-client';
import { trustBundleFromNetwork } from '../../gateway/src/fabric/trust-bundle';
import {
  buildPresentation,
  createPersonKey,
  decodeQrPng,
  submitPresentation,
  verifyRegistration,
  type Credential,
  type PersonKey,
  type VerifiedRegistration,
} from '../../wallet/src';
import { connectAs } from '../support/fabric';
import { commitmentFor, certificationRequest, salt, uniqueClaims } from '../../protocol/testing/simulated-person';
import { uniqueDocumentHolder } from '../../intake/testing/person';
import { findInLedgerFiles } from '../support/ledger-files';
import { networkJsonPath, runNetworkScript } from '../support/network';
import { rejectsWith } from '../support/assertions';
import { ensureServices, type RunningServices } from '../support/services';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The product end to end on the real network, through the real service processes: a person is certified
 * once, then proves who they are to a bank by scanning its QR code; and everything that must fail, fails
 * with its code and changes nothing.
 */

describe('integration: the whole flow through the certifier and bank services', function () {
  this.timeout(300_000);
  let services: RunningServices;
  let certOfficer: ServiceClient;
  let bankOfficer: ServiceClient;
  let trust: Record<string, string[]>;
  const walletDirs: string[] = [];
  /** Claim values and disclosures of this suite: none may reach the ledger files. */
  const secrets: string[] = [];

  before(async () => {
    services = ensureServices();
    certOfficer = await enrollOfficer(services.certifierUrl, services.certifierAdminToken, freshOfficerName('officer'));
    bankOfficer = await enrollOfficer(services.bankUrl, services.bankAdminToken, freshOfficerName('clerk'));
    trust = trustBundleFromNetwork(networkJsonPath(), ['BankMSP']);
  });

  after(() => {
    (services as RunningServices | undefined)?.release();
    for (const dir of walletDirs) rmSync(dir, { recursive: true, force: true });
  });

  async function newWallet(): Promise<PersonKey> {
    const dir = mkdtempSync(join(tmpdir(), 'kyc-wallet-'));
    walletDirs.push(dir);
    return createPersonKey(dir);
  }

  /** A person certified at level 2 on a document photo and a selfie (the evidence level 2 needs), plus `extra` claims. */
  async function certified(extra: Claims = {}) {
    const key = await newWallet();
    const holder = await uniqueDocumentHolder();
    const claims: Claims = { ...holder.claims, ...extra };
    const { credential } = await certifyPerson({
      certifierUrl: services.certifierUrl,
      officer: certOfficer,
      key,
      claims,
      level: 2,
      evidence: holder.evidence,
    });
    secrets.push(...Object.values(claims).filter((v) => v.length > 12), ...credential.disclosures);
    return { key, credential, claims };
  }

  async function registration(claims: readonly string[]): Promise<VerifiedRegistration & { registrationId: string }> {
    const opened = await openRegistration(bankOfficer, { claims, purpose: 'Open a current account' });
    return { ...scanRegistration(opened.png, trust), registrationId: opened.registrationId };
  }

  it('certifies a person once, then verifies them at a bank from its QR code', async () => {
    const { key, credential, claims } = await certified();
    assert.equal(credential.record.certifier, 'CertifierMSP');
    assert.equal(credential.disclosures.length, Object.keys(claims).length);

    const reg = await registration(['given_name', 'family_name', 'birthdate']);
    assert.equal(reg.payload.iss, 'BankMSP');
    assert.match(reg.signerSubject, /clerk-/);

    const { response } = await present({ key, credential, registration: reg, claimNames: reg.payload.claims });
    assert.equal((response as { status: string }).status, 'verified');

    const seen = await bankOfficer.get<{ status: string; result: { claims: Claims; personId: string; level: number } }>(
      `/v1/registrations/${reg.registrationId}`,
    );
    assert.equal(seen.status, 'verified');
    assert.equal(seen.result.personId, key.did);
    assert.equal(seen.result.level, 2);
    assert.deepEqual(seen.result.claims, {
      given_name: claims.given_name,
      family_name: claims.family_name,
      birthdate: claims.birthdate,
    });
  });

  it('discloses only the claims the person chooses (selective disclosure)', async () => {
    const { key, credential, claims } = await certified();
    const reg = await registration(['given_name']);
    const built = await buildPresentation({ key, registration: reg.payload, credential, claimNames: ['given_name'] });
    assert.equal(built.disclosures.length, 1);
    assert.equal(parseDisclosure(built.disclosures[0]).name, 'given_name');
    await submitPresentation(reg.payload.endpoint, built.jwe);
    const seen = await bankOfficer.get<{ result: { claims: Claims } }>(`/v1/registrations/${reg.registrationId}`);
    assert.deepEqual(seen.result.claims, { given_name: claims.given_name });
    assert.ok(!JSON.stringify(seen).includes(claims.family_name ?? '?'));
  });

  it('refuses a presentation that discloses a claim the registration did not request, and stores nothing', async () => {
    const { key, credential, claims } = await certified();
    const reg = await registration(['given_name']);
    // A wallet that ignores the request's claim list: consent and encryption are otherwise genuine.
    const greedy = { ...reg.payload, claims: ['given_name', 'birthdate'] };
    const built = await buildPresentation({
      key,
      registration: greedy,
      credential,
      claimNames: ['given_name', 'birthdate'],
    });
    await rejectsWith(submitPresentation(reg.payload.endpoint, built.jwe), 'KYC_MISMATCH');
    const seen = await bankOfficer.get<Record<string, unknown>>(`/v1/registrations/${reg.registrationId}`);
    assert.equal(seen.status, 'pending');
    assert.ok(!JSON.stringify(seen).includes(claims.birthdate ?? '?'), 'the over-disclosed value was not kept');
    // The registration is still usable with the claims it asked for.
    await present({ key, credential, registration: reg, claimNames: ['given_name'] });
  });

  it('certifies and presents a claim named like an Object.prototype member (constructor)', async () => {
    const { key, credential, claims } = await certified({ constructor: `builder-${salt()}` });
    assert.ok(credential.disclosures.some((d) => parseDisclosure(d).name === 'constructor'));
    const reg = await registration(['constructor', 'given_name']);
    await present({ key, credential, registration: reg, claimNames: ['constructor', 'given_name'] });
    const seen = await bankOfficer.get<{ status: string; result: { claims: Claims } }>(
      `/v1/registrations/${reg.registrationId}`,
    );
    assert.equal(seen.status, 'verified');
    assert.deepEqual(seen.result.claims, { constructor: claims.constructor, given_name: claims.given_name });
  });

  it('answers a replayed presentation as the first time without a second verification, and refuses another consent or registration', async () => {
    const { key, credential } = await certified();
    const first = await registration(['given_name']);
    const second = await registration(['given_name']);
    const { jwe, response } = await present({ key, credential, registration: first, claimNames: ['given_name'] });
    // A wallet that lost the answer sends the same presentation again: the same verification, not another.
    assert.deepEqual(await submitPresentation(first.payload.endpoint, jwe), response);
    const again = await buildPresentation({ key, registration: first.payload, credential, claimNames: ['given_name'] });
    await rejectsWith(submitPresentation(first.payload.endpoint, again.jwe), 'KYC_CONFLICT');
    // The same JWE posted to another registration: addressed (kid, AEAD) to the first one.
    await rejectsWith(submitPresentation(second.payload.endpoint, jwe), 'KYC_DECRYPTION_FAILED');
    // Re-encrypted for the second registration, but with the consent the person gave the first one.
    const forFirst = await buildPresentation({
      key,
      registration: first.payload,
      credential,
      claimNames: ['given_name'],
    });
    const plaintext = {
      personId: key.did,
      certifier: 'CertifierMSP',
      kind: 'identity',
      disclosures: forFirst.disclosures,
      consent: forFirst.consent,
    };
    const readdressed = await new CompactEncrypt(Buffer.from(JSON.stringify(plaintext)))
      .setProtectedHeader({
        alg: 'ECDH-ES',
        enc: 'A256GCM',
        cty: PRESENTATION_CONTENT_TYPE,
        kid: second.registrationId,
      })
      .encrypt(createPublicKey({ key: { ...second.payload.enc_jwk }, format: 'jwk' }));
    await rejectsWith(submitPresentation(second.payload.endpoint, readdressed), 'KYC_MISMATCH');
    // Nothing was consumed by the failures: the second registration still works.
    await present({ key, credential, registration: second, claimNames: ['given_name'] });
  });

  it('refuses a tampered disclosure, even with a fresh consent over it (the ledger checks the digests)', async () => {
    const { key, credential } = await certified();
    const reg = await registration(['given_name']);
    const forged = createDisclosure(salt(), 'given_name', 'Mallory').disclosure;
    const tampered: Credential = {
      ...credential,
      disclosures: credential.disclosures.map((d) => (parseDisclosure(d).name === 'given_name' ? forged : d)),
    };
    const built = await buildPresentation({
      key,
      registration: reg.payload,
      credential: tampered,
      claimNames: ['given_name'],
    });
    await rejectsWith(submitPresentation(reg.payload.endpoint, built.jwe), 'KYC_MISMATCH');
    const seen = await bankOfficer.get<{ status: string }>(`/v1/registrations/${reg.registrationId}`);
    assert.equal(seen.status, 'pending');
  });

  it('refuses a revoked record and an expired one', async () => {
    const revoked = await certified();
    await certOfficer.post(`/v1/attestations/${encodeURIComponent(revoked.key.did)}/identity/revoke`, {
      reason: 'fraud-suspected',
    });
    const reg1 = await registration(['given_name']);
    await rejectsWith(
      present({ key: revoked.key, credential: revoked.credential, registration: reg1, claimNames: ['given_name'] }),
      'KYC_REVOKED',
    );

    // A record valid for a few seconds, written directly through the ledger by a certifier officer.
    const key = await newWallet();
    const claims = uniqueClaims();
    const officer = await connectAs(networkJsonPath(), 'CertifierMSP', 'officer1');
    const issuedAt = new Date();
    const validUntil = new Date(issuedAt.getTime() + 6000);
    const person = { id: key.did, sign: key.sign };
    const { commitment, disclosures } = commitmentFor(claims, { validFrom: issuedAt, validUntil });
    try {
      const request = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt: salt() });
      await officer.contract('kyc').submitTransaction('Certify', key.did, request, commitment);
    } finally {
      await officer.close();
    }
    secrets.push(...Object.values(disclosures));
    const credential: Credential = {
      personId: key.did,
      record: {
        certifier: 'CertifierMSP',
        kind: 'identity',
        version: 1,
        level: 2,
        validUntil: validUntil.toISOString(),
      },
      disclosures: Object.values(disclosures),
      storedAt: issuedAt.toISOString(),
    };
    const reg2 = await registration(['given_name']);
    await new Promise((r) => setTimeout(r, validUntil.getTime() - Date.now() + 1500));
    // The wallet itself would refuse an expired credential; present it as if its clock were behind.
    const built = await buildPresentation({
      key,
      registration: reg2.payload,
      credential,
      claimNames: ['given_name'],
      now: issuedAt,
    });
    await rejectsWith(submitPresentation(reg2.payload.endpoint, built.jwe), 'KYC_EXPIRED');
  });

  it("refuses, in the wallet, a QR code signed by a key the bank's CA did not issue", async () => {
    const reg = await registration(['given_name']);
    const config = loadNetworkConfig(networkJsonPath());
    const hsm: Hsm = await openNetworkHsm(config);
    const certifierOfficer = await loadUser(hsm, config, 'CertifierMSP', 'officer1');
    try {
      // A real HSM key with a real certificate, but from the certifier's CA, claiming to be the bank.
      const forged = await signJws(
        {
          typ: TYP.registration,
          x5c: [
            Buffer.from(certifierOfficer.identity.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString(
              'base64',
            ),
          ],
        },
        { ...reg.payload },
        certifierOfficer.token.es256(certifierOfficer.identity.ski),
      );
      assert.throws(
        () => verifyRegistration(forged, { trustedCas: trust }),
        (err: unknown) => err instanceof KycError && err.code === 'KYC_UNTRUSTED',
      );
    } finally {
      await certifierOfficer.close();
      await hsm.close();
    }
    // And the genuine one passes the same check.
    const opened = await openRegistration(bankOfficer, { claims: ['given_name'], purpose: 'Open a current account' });
    assert.equal(verifyRegistration(decodeQrPng(opened.png), { trustedCas: trust }).payload.iss, 'BankMSP');
  });

  it('answers bad input with coded errors and stays healthy', async () => {
    const publicBank = serviceClient(services.bankUrl);
    const reg = await registration(['given_name']);
    const raw = async (path: string, body: string, type: string) =>
      fetch(`${services.bankUrl}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    const codeOf = async (response: Response) => ((await response.json()) as { error: { code: string } }).error.code;

    let r = await raw(`/v1/registrations/${reg.registrationId}/presentation`, 'not-a-jwe', 'application/jose');
    assert.equal(r.status, 400);
    assert.equal(await codeOf(r), 'KYC_DECRYPTION_FAILED');
    r = await raw('/v1/registrations', '{"claims": [', 'application/json');
    assert.equal(r.status, 400);
    assert.equal(await codeOf(r), 'KYC_INVALID_ARGUMENT');
    r = await raw(`/v1/registrations/${reg.registrationId}/presentation`, 'x'.repeat(200_000), 'application/jose');
    assert.equal(r.status, 413);
    await rejectsWith(
      publicBank.post('/v1/registrations', { claims: ['given_name'], purpose: 'x' }),
      'KYC_UNAUTHENTICATED',
    );
    await rejectsWith(
      serviceClient(services.bankUrl, 'wrong-token-wrong-token-wrong').get('/v1/usage'),
      'KYC_UNAUTHENTICATED',
    );
    r = await raw('/v1/registrations/AAAAAAAAAAAAAAAAAAAAAA/presentation', 'a.b.c.d.e', 'application/jose');
    assert.equal(r.status, 404);
    assert.equal(await codeOf(r), 'KYC_NOT_FOUND');
    await rejectsWith(
      serviceClient(services.certifierUrl).post('/v1/certifications', {
        personId: 'did:key:nope',
        kind: 'identity',
        claims: {},
        claimsSalt: 'x',
        request: 'y',
      }),
      'KYC_INVALID_ARGUMENT',
    );
    const seen = await bankOfficer.get<{ status: string }>(`/v1/registrations/${reg.registrationId}`);
    assert.equal(seen.status, 'pending');
    for (const url of [services.certifierUrl, services.bankUrl]) {
      assert.equal((await fetch(`${url}/healthz`)).status, 200);
      const openapi = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string; paths: object };
      assert.equal(openapi.openapi, '3.1.0');
      assert.ok(Object.keys(openapi.paths).length >= 5);
      assert.match(await (await fetch(`${url}/metrics`)).text(), /kyc_http_request_duration_seconds_bucket/);
      assert.equal((await fetch(`${url}/docs`)).status, 200);
    }
  });

  it('keeps the bank service working after its peer restarts', async () => {
    const { key, credential } = await certified();
    const restart = await runNetworkScript(['restart', 'peer0.bank']);
    assert.equal(restart.code, 0, restart.output);
    const reg = await registration(['given_name']);
    const { response } = await present({ key, credential, registration: reg, claimNames: ['given_name'] });
    assert.equal((response as { status: string }).status, 'verified');
    assert.equal((await fetch(`${services.bankUrl}/healthz`)).status, 200);
  });

  it('puts no claim value and no disclosure into any ledger file', () => {
    const found = findInLedgerFiles(secrets);
    for (const secret of secrets) assert.deepEqual(found.get(secret), [], `${secret} is in the ledger files`);
    assert.ok(secrets.length > 20);
  });

  it('rate limits the public endpoints', async () => {
    let limited = 0;
    // The status endpoint: nonces have their own, lower cap per client (KYC_MAX_NONCES_PER_CLIENT).
    for (let i = 0; i < 130 && limited === 0; i++) {
      const r = await fetch(`${services.certifierUrl}/v1/certifications/AAAAAAAAAAAAAAAAAAAAAA`);
      if (r.status === 429) limited++;
    }
    assert.equal(limited, 1);
  });
});
