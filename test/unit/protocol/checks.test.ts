import assert from 'node:assert/strict';
import { createPublicKey } from 'node:crypto';
import {
  KycError,
  checkCertificationRequest,
  checkConsent,
  type ConsentExpectation,
  type ErrorCode,
} from '../../../protocol/src';
import {
  certificationRequest,
  consentFor,
  newPerson,
  nowSeconds,
  salt,
} from '../../../protocol/testing/simulated-person';

const isKyc =
  (code: ErrorCode, detail?: RegExp) =>
  (err: unknown): boolean =>
    err instanceof KycError && err.code === code && (detail === undefined || detail.test(err.detail));

describe('protocol/checks: the one certification-request check', () => {
  const person = newPerson();
  const publicKey = createPublicKey(person.privateKey);
  const claims = { given_name: 'Ada', family_name: 'Lovelace' };
  const claimsSalt = salt();
  const expected = { personId: person.id, publicKey, certifier: 'CertifierMSP' };

  it('accepts a fresh request bound to the person, the certifier, the kind and the claims', async () => {
    const jws = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt, kind: 'identity' });
    const checked = checkCertificationRequest(
      jws,
      { ...expected, kind: 'identity', claims: { claims, salt: claimsSalt } },
      nowSeconds(),
    );
    assert.equal(checked.payload.sub, person.id);
    assert.match(checked.requestId, /^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses each wrong binding with KYC_MISMATCH naming it', async () => {
    const jws = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt });
    const other = newPerson();
    const cases: [Parameters<typeof checkCertificationRequest>[1], RegExp][] = [
      [{ ...expected, personId: other.id }, /another person/],
      [{ ...expected, certifier: 'Certifier2MSP' }, /another certifier/],
      [{ ...expected, kind: 'address' }, /kind identity, not address/],
      [{ ...expected, claims: { claims: { ...claims, given_name: 'Eve' }, salt: claimsSalt } }, /claims_hash/],
      [{ ...expected, claims: { claims, salt: salt() } }, /claims_hash/],
    ];
    for (const [expectation, detail] of cases) {
      assert.throws(() => checkCertificationRequest(jws, expectation, nowSeconds()), isKyc('KYC_MISMATCH', detail));
    }
  });

  it('refuses another key, expiry and malformed input with their codes', async () => {
    const other = newPerson();
    const forged = await certificationRequest({ ...other, id: person.id }, { aud: 'CertifierMSP', claims, claimsSalt });
    assert.throws(() => checkCertificationRequest(forged, expected, nowSeconds()), isKyc('KYC_BAD_SIGNATURE'));
    const old = await certificationRequest(person, {
      aud: 'CertifierMSP',
      claims,
      claimsSalt,
      iat: nowSeconds() - 1000,
      exp: nowSeconds() - 10,
    });
    assert.throws(() => checkCertificationRequest(old, expected, nowSeconds()), isKyc('KYC_EXPIRED'));
    assert.throws(() => checkCertificationRequest('x.y.z', expected, nowSeconds()), isKyc('KYC_INVALID_ARGUMENT'));
  });
});

describe('protocol/checks: the one consent check', () => {
  const person = newPerson();
  const disclosures = ['WyJzYWx0IiwiZ2l2ZW5fbmFtZSIsIkFkYSJd', 'WyJzYWx0IiwiZmFtaWx5X25hbWUiLCJMb3ZlbGFjZSJd'];
  const expected: ConsentExpectation = {
    personId: person.id,
    publicKey: createPublicKey(person.privateKey),
    bank: 'BankMSP',
    registrationId: 'registration-0123456789',
    nonce: 'nonce-0123456789abcdef',
    certifier: 'CertifierMSP',
    kind: 'identity',
    disclosures,
  };
  const consent = (): Promise<string> =>
    consentFor(person, { aud: 'BankMSP', registrationId: expected.registrationId, nonce: expected.nonce, disclosures });

  it('accepts a consent bound to this bank, registration, nonce, record and disclosures', async () => {
    const checked = checkConsent(await consent(), expected, nowSeconds());
    assert.equal(checked.payload.registration_id, expected.registrationId);
    assert.match(checked.consentId, /^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses each wrong binding with KYC_MISMATCH naming the first field that differs', async () => {
    const jws = await consent();
    const cases: [Partial<ConsentExpectation>, RegExp][] = [
      [{ personId: newPerson().id }, /'sub'/],
      [{ bank: 'Bank2MSP' }, /'aud'/],
      [{ registrationId: 'registration-other-0001' }, /'registration_id'/],
      [{ nonce: 'nonce-other-0123456789' }, /'nonce'/],
      [{ certifier: 'Certifier2MSP' }, /'certifier'/],
      [{ kind: 'address' }, /'kind'/],
      [{ disclosures: [...disclosures].reverse() }, /does not cover/],
      [{ disclosures: disclosures.slice(0, 1) }, /does not cover/],
    ];
    for (const [change, detail] of cases) {
      assert.throws(() => checkConsent(jws, { ...expected, ...change }, nowSeconds()), isKyc('KYC_MISMATCH', detail));
    }
  });

  it('refuses a consent signed by another key, or checked after it expired', async () => {
    const jws = await consent();
    assert.throws(
      () => checkConsent(jws, { ...expected, publicKey: createPublicKey(newPerson().privateKey) }, nowSeconds()),
      isKyc('KYC_BAD_SIGNATURE'),
    );
    assert.throws(() => checkConsent(jws, expected, nowSeconds() + 3600), isKyc('KYC_EXPIRED'));
  });
});
