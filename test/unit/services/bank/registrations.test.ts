import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import {
  KycError,
  TYP,
  createDisclosure,
  signJws,
  verifyJws,
  type RegistrationPayload,
} from '../../../../protocol/src';
import {
  RegistrationService,
  type BankCrypto,
  type RegistrationServiceOptions,
} from '../../../../services/src/bank/registrations';
import type { KycStore } from '../../../../store/src';
import {
  consent,
  isKycError,
  newPerson,
  rawCount,
  rawRows,
  stubLedger,
  tempDir,
  testStore,
  type StubLedger,
} from '../fakes';

/**
 * The bank's flow with software stand-ins for the HSM and JOSE (those have their own tests against SoftHSM
 * and real JWE): the "JWE" here is base64url JSON addressed to a kid.
 */
const officerKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const fakeJwe = (kid: string, body: unknown): string =>
  `${kid}.${Buffer.from(JSON.stringify(body)).toString('base64url')}`;

const crypto: BankCrypto = {
  signerFor: () => ({
    sign: (data) => Promise.resolve(sign('sha256', data, { key: officerKey.privateKey, dsaEncoding: 'ieee-p1363' })),
    certificateChainPem: [],
  }),
  encryptionJwk: { kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43) },
  signRegistration: (payload, signer) => signJws({ typ: TYP.registration }, { ...payload }, signer.sign),
  decryptPresentation: (jwe, kid) => {
    const [to, body] = jwe.split('.');
    if (to !== kid || body === undefined)
      return Promise.reject(new KycError('KYC_DECRYPTION_FAILED', 'cannot decrypt'));
    return Promise.resolve(JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>);
  },
};

const salt = () => randomBytes(16).toString('base64url');

describe('bank service: registrations and presentations', () => {
  let dir: ReturnType<typeof tempDir>;
  let ledger: StubLedger;
  let service: RegistrationService;
  let store: KycStore;
  const person = newPerson();
  const given = createDisclosure(salt(), 'given_name', 'Augusta Ada');
  const family = createDisclosure(salt(), 'family_name', 'Lovelace-Byron');
  const options = (changes: Partial<RegistrationServiceOptions> = {}): RegistrationServiceOptions => ({
    mspId: 'BankMSP',
    store,
    publicUrl: 'http://127.0.0.1:8081',
    trustedCertifiers: ['CertifierMSP'],
    minLevel: 2,
    ttlSeconds: 600,
    crypto,
    ledgerFor: () => ledger,
    ...changes,
  });

  beforeEach(async () => {
    dir = tempDir();
    store = await testStore(dir.path);
    ledger = stubLedger();
    ledger.verifyPresentation.callsFake((registrationId: string, p: { personId: string }) =>
      Promise.resolve({
        registrationId,
        verified: true,
        personId: p.personId,
        certifier: 'CertifierMSP',
        kind: 'identity',
        level: 2,
        recordVersion: 1,
        claims: ['family_name', 'given_name'],
        validUntil: '2030-01-01T00:00:00Z',
        verifiedAt: new Date().toISOString(),
        txId: 'tx1',
      }),
    );
    service = new RegistrationService(options());
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  async function presentation(
    registrationId: string,
    nonce: string,
    disclosures = [given.disclosure, family.disclosure],
  ) {
    return {
      personId: person.id,
      certifier: 'CertifierMSP',
      kind: 'identity',
      disclosures,
      consent: await consent(person, { aud: 'BankMSP', registrationId, nonce, disclosures }),
    };
  }

  it('signs a registration the wallet can verify, naming the presentation endpoint and encryption key', async () => {
    const r = await service.create('officer1', { claims: ['given_name', 'family_name'], purpose: 'Open an account' });
    const payload = verifyJws(r.jws, TYP.registration, officerKey.publicKey).payload as unknown as RegistrationPayload;
    assert.equal(payload.iss, 'BankMSP');
    assert.equal(payload.registration_id, r.id);
    assert.equal(payload.endpoint, `http://127.0.0.1:8081/v1/registrations/${r.id}/presentation`);
    assert.deepEqual(payload.enc_jwk, crypto.encryptionJwk);
    assert.equal(payload.min_level, 2);
  });

  it('verifies a presentation on the ledger with the disclosures in the transient input, once', async () => {
    const r = await service.create('officer1', { claims: ['given_name', 'family_name'], purpose: 'Open an account' });
    const verified = await service.present(r.id, fakeJwe(r.id, await presentation(r.id, r.nonce)));
    assert.deepEqual(verified.claims, { given_name: 'Augusta Ada', family_name: 'Lovelace-Byron' });
    const [registrationId, input] = ledger.verifyPresentation.firstCall.args as [string, Record<string, unknown>];
    assert.equal(registrationId, r.id);
    assert.equal(input.nonce, r.nonce);
    assert.deepEqual(input.trustedCertifiers, ['CertifierMSP']);
    assert.deepEqual(input.requestedClaims, ['given_name', 'family_name']);
    assert.deepEqual(input.requiredClaims, ['given_name', 'family_name']);
    assert.equal((await service.get(r.id)).status, 'verified');
    await assert.rejects(
      service.present(r.id, fakeJwe(r.id, await presentation(r.id, r.nonce))),
      isKycError('KYC_CONFLICT'),
    );
    assert.equal(ledger.verifyPresentation.callCount, 1);
  });

  it('refuses, before any transaction, consents for another registration, tampered disclosures and missing claims', async () => {
    const r = await service.create('officer1', { claims: ['given_name', 'family_name'], purpose: 'Open an account' });
    const other = await service.create('officer1', { claims: ['given_name'], purpose: 'Other' });
    const forOther = await presentation(other.id, other.nonce);
    await assert.rejects(service.present(r.id, fakeJwe(r.id, forOther)), isKycError('KYC_MISMATCH'));
    const tampered = await presentation(r.id, r.nonce);
    const forged = createDisclosure(salt(), 'given_name', 'Eve').disclosure;
    await assert.rejects(
      service.present(r.id, fakeJwe(r.id, { ...tampered, disclosures: [forged, family.disclosure] })),
      isKycError('KYC_MISMATCH'),
    );
    const partial = await presentation(r.id, r.nonce, [given.disclosure]);
    await assert.rejects(service.present(r.id, fakeJwe(r.id, partial)), isKycError('KYC_MISMATCH'));
    await assert.rejects(
      service.present(r.id, fakeJwe('someone-else-kid-123', tampered)),
      isKycError('KYC_DECRYPTION_FAILED'),
    );
    await assert.rejects(
      service.present(r.id, fakeJwe(r.id, { ...tampered, personId: 'nope' })),
      isKycError('KYC_INVALID_ARGUMENT'),
    );
    assert.equal(ledger.verifyPresentation.callCount, 0);
    assert.equal((await service.get(r.id)).status, 'pending');
  });

  it('lets the person withhold claims that are not required, and refuses one that lacks a required claim', async () => {
    await assert.rejects(
      service.create('officer1', { claims: ['given_name'], required: ['family_name'], purpose: 'x' }),
      isKycError('KYC_INVALID_ARGUMENT'),
    );
    const r = await service.create('officer1', {
      claims: ['given_name', 'family_name'],
      required: ['given_name'],
      purpose: 'Open an account',
    });
    assert.deepEqual((await service.get(r.id)).required, ['given_name']);
    const withoutRequired = await presentation(r.id, r.nonce, [family.disclosure]);
    await assert.rejects(service.present(r.id, fakeJwe(r.id, withoutRequired)), isKycError('KYC_MISMATCH'));
    assert.equal(ledger.verifyPresentation.callCount, 0);
    const verified = await service.present(r.id, fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure])));
    assert.deepEqual(verified.claims, { given_name: 'Augusta Ada' });
    const input = ledger.verifyPresentation.firstCall.args[1] as Record<string, unknown>;
    assert.deepEqual(input.requestedClaims, ['given_name', 'family_name']);
    assert.deepEqual(input.requiredClaims, ['given_name']);
  });

  it('refuses, before any transaction, a presentation that discloses a claim the registration did not request', async () => {
    const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    const greedy = await presentation(r.id, r.nonce, [given.disclosure, family.disclosure]);
    await assert.rejects(
      service.present(r.id, fakeJwe(r.id, greedy)),
      (err: unknown) => err instanceof KycError && err.code === 'KYC_MISMATCH' && /did not request/.test(err.message),
    );
    assert.equal(ledger.verifyPresentation.callCount, 0);
    assert.equal((await service.get(r.id)).status, 'pending');
    assert.equal((await service.get(r.id)).result, undefined);
  });

  it('keeps a claim named like an Object.prototype member (constructor) as an ordinary claim', async () => {
    const builder = createDisclosure(salt(), 'constructor', 'Brunel');
    const r = await service.create('officer1', { claims: ['constructor', 'given_name'], purpose: 'Open an account' });
    const verified = await service.present(
      r.id,
      fakeJwe(r.id, await presentation(r.id, r.nonce, [builder.disclosure, given.disclosure])),
    );
    assert.equal(Object.hasOwn(verified.claims, 'constructor'), true);
    assert.equal(verified.claims.constructor, 'Brunel');
    assert.equal(verified.claims.given_name, 'Augusta Ada');
  });

  it('leaves the registration usable when the ledger refuses, and refuses expired or unknown registrations', async () => {
    const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    ledger.verifyPresentation.onFirstCall().rejects(new KycError('KYC_REVOKED', 'revoked'));
    const p = await presentation(r.id, r.nonce, [given.disclosure]);
    await assert.rejects(service.present(r.id, fakeJwe(r.id, p)), isKycError('KYC_REVOKED'));
    assert.equal((await service.get(r.id)).status, 'pending');
    await assert.rejects(service.present('AAAAAAAAAAAAAAAAAAAAAA', fakeJwe(r.id, p)), isKycError('KYC_NOT_FOUND'));

    const later = new RegistrationService(options({ now: () => new Date(Date.now() + 3600_000) }));
    await assert.rejects(later.present(r.id, fakeJwe(r.id, p)), isKycError('KYC_EXPIRED'));
  });

  it('forgets expired registrations nobody presented to, and keeps verified ones', async () => {
    const unused = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    const used = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    await service.present(used.id, fakeJwe(used.id, await presentation(used.id, used.nonce, [given.disclosure])));
    const later = new RegistrationService(options({ now: () => new Date(Date.now() + 3600_000) }));
    await later.sweep();
    await assert.rejects(later.get(unused.id), isKycError('KYC_NOT_FOUND'));
    assert.equal((await later.get(used.id)).status, 'verified');
  });

  it('refuses bad registrations and forgets a person on erasure', async () => {
    await assert.rejects(service.create('officer1', { claims: [], purpose: 'x' }), isKycError('KYC_INVALID_ARGUMENT'));
    await assert.rejects(
      service.create('officer1', { claims: ['Bad Claim'], purpose: 'x' }),
      isKycError('KYC_INVALID_ARGUMENT'),
    );
    await assert.rejects(
      service.create('officer1', { claims: ['given_name'], purpose: 'x', minLevel: 1 }),
      isKycError('KYC_INVALID_ARGUMENT'),
    );
    const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    await service.present(r.id, fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure])));
    assert.ok(rawRows(dir.path).includes(person.id), 'control: the person id is a column once verified');
    assert.equal(await service.forgetPerson(person.id), 1);
    assert.equal((await service.get(r.id)).result, undefined);
    assert.equal((await service.get(r.id)).status, 'verified', 'still used');
    const raw = rawRows(dir.path);
    assert.ok(!raw.includes(person.id), 'no row names the person');
    assert.equal((await store.get('registrations', r.id))?.personal, undefined, 'claims and data key shredded');
    assert.deepEqual(
      Object.values(await store.dataKeysByKek()).reduce((a, b) => a + b, 0),
      0,
      'no data key left',
    );
  });

  it('keeps verified claims encrypted, and drops them after the retention', async () => {
    const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    await service.present(r.id, fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure])));
    const raw = rawRows(dir.path);
    for (const v of ['Lovelace-Byron', 'Augusta Ada', given.disclosure]) {
      assert.ok(!raw.includes(v) && !raw.includes(Buffer.from(v).toString('base64')), `${v} in plaintext`);
    }
    await new RegistrationService(options({ now: () => new Date(Date.now() + 29 * 86_400_000) })).sweep();
    assert.deepEqual((await service.get(r.id)).result?.claims, { given_name: 'Augusta Ada' });
    await new RegistrationService(options({ now: () => new Date(Date.now() + 31 * 86_400_000) })).sweep();
    const after = await service.get(r.id);
    assert.equal(after.status, 'verified');
    assert.equal(after.result, undefined);
    assert.equal((await store.get('registrations', r.id))?.personal, undefined);
  });

  it('lets exactly one of two concurrent presentations (two processes on one database) order a transaction', async () => {
    const otherStore = await testStore(dir.path);
    try {
      const other = new RegistrationService(options({ store: otherStore }));
      ledger.verifyPresentation.callsFake(async (registrationId: string, p: { personId: string }) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return {
          registrationId,
          verified: true,
          personId: p.personId,
          certifier: 'CertifierMSP',
          kind: 'identity',
          level: 2,
          recordVersion: 1,
          claims: ['given_name'],
          validUntil: '2030-01-01T00:00:00Z',
          verifiedAt: new Date().toISOString(),
          txId: 'tx1',
        };
      });
      for (let round = 0; round < 5; round++) {
        const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
        // Two presentations (two consents) of one registration: one is verified, the other refused.
        const jwe = fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure]));
        const rival = fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure]));
        const results = await Promise.allSettled([service.present(r.id, jwe), other.present(r.id, rival)]);
        assert.equal(results.filter((x) => x.status === 'fulfilled').length, 1);
        const refused = results.find((x) => x.status === 'rejected');
        assert.ok(refused !== undefined && isKycError('KYC_CONFLICT')(refused.reason));
      }
      assert.equal(ledger.commit.callCount, 5, 'the loser never ordered a transaction');
      // The same presentation sent twice at once (a wallet retrying): both get the one verification.
      const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
      const jwe = fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure]));
      const [a, b] = await Promise.all([service.present(r.id, jwe), other.present(r.id, jwe)]);
      assert.deepEqual(a, b);
    } finally {
      await otherStore.close();
    }
  });

  it('completes a presentation left verifying by a crashed process with its stored transaction, after the timeout', async () => {
    const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    ledger.commit.onFirstCall().callsFake(() => new Promise(() => undefined)); // the process "dies" at the ledger
    void service.present(r.id, fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure])));
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal((await service.get(r.id)).status, 'verifying');
    await new RegistrationService(options({ verifyingTimeoutSeconds: 60 })).sweep();
    assert.equal((await service.get(r.id)).status, 'verifying', 'not before the timeout');
    const verified: string[] = [];
    await new RegistrationService(
      options({
        verifyingTimeoutSeconds: 60,
        now: () => new Date(Date.now() + 61_000),
        onVerified: (id) => verified.push(id),
      }),
    ).sweep();
    const after = await service.get(r.id);
    assert.equal(after.status, 'verified');
    assert.deepEqual(after.result?.claims, { given_name: 'Augusta Ada' });
    assert.deepEqual(verified, [r.id], 'the bank hears of it as of any verification');
    assert.equal(rawCount(dir.path, 'registrations', 'verifying'), 0);
    const [first, second] = ledger.commit.getCalls().map((c) => (c.args[0] as { id: string }).id);
    assert.equal(first, second, 'the same transaction, never a new one');
    assert.equal(ledger.verifyPresentation.callCount, 1, 'endorsed once');
  });

  it('completes, on the wallet’s retry of the same presentation, one whose outcome was unknown; refuses another', async () => {
    const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    const jwe = fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure]));
    ledger.commit.onFirstCall().rejects(new KycError('KYC_UNAVAILABLE', 'the ledger did not answer in time; retry'));
    await assert.rejects(service.present(r.id, jwe), isKycError('KYC_UNAVAILABLE'));
    assert.equal((await service.get(r.id)).status, 'verifying');
    const another = fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure]));
    await assert.rejects(service.present(r.id, another), isKycError('KYC_CONFLICT'), 'another consent');
    const verified = await service.present(r.id, jwe);
    assert.deepEqual(verified.claims, { given_name: 'Augusta Ada' });
    assert.deepEqual(await service.present(r.id, jwe), verified, 'once verified, the same answer again');
    assert.equal(ledger.verifyPresentation.callCount, 1);
    const ids = ledger.commit.getCalls().map((c) => (c.args[0] as { id: string }).id);
    assert.deepEqual(ids, [ids[0], ids[0]], 'the retry ordered the same transaction; the repeat none');
    await assert.rejects(service.present(r.id, another), isKycError('KYC_CONFLICT'));
  });

  it('makes the registration usable again when the ledger refuses the transaction at commit', async () => {
    const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    ledger.commit.onFirstCall().rejects(new KycError('KYC_CONFLICT', 'a concurrent update changed the record; retry'));
    await assert.rejects(
      service.present(r.id, fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure]))),
      isKycError('KYC_CONFLICT'),
    );
    assert.equal((await service.get(r.id)).status, 'pending');
    assert.equal((await store.get('registrations', r.id))?.personal, undefined, 'the claims went with it');
    const verified = await service.present(r.id, fakeJwe(r.id, await presentation(r.id, r.nonce, [given.disclosure])));
    assert.deepEqual(verified.claims, { given_name: 'Augusta Ada' });
  });
});
