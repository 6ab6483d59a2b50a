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
import { RegistrationService, type BankCrypto } from '../../../../gateway/src/services/bank/registrations';
import { consent, isKycError, newPerson, stubLedger, tempDir, type StubLedger } from './fakes';

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
  const person = newPerson();
  const given = createDisclosure(salt(), 'given_name', 'Ada');
  const family = createDisclosure(salt(), 'family_name', 'Lovelace');

  beforeEach(() => {
    dir = tempDir();
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
    service = new RegistrationService({
      mspId: 'BankMSP',
      dataDir: dir.path,
      publicUrl: 'http://127.0.0.1:8081',
      trustedCertifiers: ['CertifierMSP'],
      minLevel: 2,
      ttlSeconds: 600,
      crypto,
      ledgerFor: () => ledger,
    });
  });
  afterEach(() => {
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
    assert.deepEqual(verified.claims, { given_name: 'Ada', family_name: 'Lovelace' });
    const [registrationId, input] = ledger.verifyPresentation.firstCall.args as [string, Record<string, unknown>];
    assert.equal(registrationId, r.id);
    assert.equal(input.nonce, r.nonce);
    assert.deepEqual(input.trustedCertifiers, ['CertifierMSP']);
    assert.deepEqual(input.requestedClaims, ['given_name', 'family_name']);
    assert.deepEqual(input.requiredClaims, ['given_name', 'family_name']);
    assert.equal(service.get(r.id).status, 'verified');
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
    assert.equal(service.get(r.id).status, 'pending');
  });

  it('refuses, before any transaction, a presentation that discloses a claim the registration did not request', async () => {
    const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    const greedy = await presentation(r.id, r.nonce, [given.disclosure, family.disclosure]);
    await assert.rejects(
      service.present(r.id, fakeJwe(r.id, greedy)),
      (err: unknown) => err instanceof KycError && err.code === 'KYC_MISMATCH' && /did not request/.test(err.message),
    );
    assert.equal(ledger.verifyPresentation.callCount, 0);
    assert.equal(service.get(r.id).status, 'pending');
    assert.equal(service.get(r.id).result, undefined);
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
    assert.equal(verified.claims.given_name, 'Ada');
  });

  it('leaves the registration usable when the ledger refuses, and refuses expired or unknown registrations', async () => {
    const r = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    ledger.verifyPresentation.onFirstCall().rejects(new KycError('KYC_REVOKED', 'revoked'));
    const p = await presentation(r.id, r.nonce, [given.disclosure]);
    await assert.rejects(service.present(r.id, fakeJwe(r.id, p)), isKycError('KYC_REVOKED'));
    assert.equal(service.get(r.id).status, 'pending');
    await assert.rejects(service.present('AAAAAAAAAAAAAAAAAAAAAA', fakeJwe(r.id, p)), isKycError('KYC_NOT_FOUND'));

    const later = new RegistrationService({
      mspId: 'BankMSP',
      dataDir: dir.path,
      publicUrl: 'http://x',
      trustedCertifiers: ['CertifierMSP'],
      minLevel: 2,
      ttlSeconds: 600,
      crypto,
      ledgerFor: () => ledger,
      now: () => new Date(Date.now() + 3600_000),
    });
    await assert.rejects(later.present(r.id, fakeJwe(r.id, p)), isKycError('KYC_EXPIRED'));
  });

  it('forgets expired registrations nobody presented to, and keeps verified ones', async () => {
    const unused = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    const used = await service.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    await service.present(used.id, fakeJwe(used.id, await presentation(used.id, used.nonce, [given.disclosure])));
    const later = new RegistrationService({
      mspId: 'BankMSP',
      dataDir: dir.path,
      publicUrl: 'http://x',
      trustedCertifiers: ['CertifierMSP'],
      minLevel: 2,
      ttlSeconds: 600,
      crypto,
      ledgerFor: () => ledger,
      now: () => new Date(Date.now() + 3600_000),
    });
    await later.create('officer1', { claims: ['given_name'], purpose: 'Open an account' });
    assert.throws(() => later.get(unused.id), isKycError('KYC_NOT_FOUND'));
    assert.equal(later.get(used.id).status, 'verified');
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
    assert.equal(service.forgetPerson(person.id), 1);
    assert.equal(service.get(r.id).result, undefined);
  });
});
