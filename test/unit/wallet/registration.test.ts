import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { signJws, TYP } from '../../../protocol/src';
import { softwareEs256Signer } from '../../support/software-keys';
import { verifyRegistration } from '../../../wallet/src';
import { createTestCa } from '../../support/test-ca';
import { bankEncryptionKey, createPki, isCode, registrationPayload, signedRegistration, type Pki } from './helpers';

/** Re-signs a payload with any header and key, bypassing signRegistration's own checks. */
function forge(header: Record<string, unknown>, payload: object, sign: (d: Uint8Array) => Promise<Uint8Array>) {
  return signJws(header as never, { ...payload }, sign);
}

describe('verifyRegistration', () => {
  let pki: Pki;
  const { jwk } = bankEncryptionKey();
  before(() => {
    pki = createPki();
  });
  after(() => {
    pki.dispose();
  });

  it('accepts a fresh registration from a bank-verifier certificate issued by the bank CA', async () => {
    const payload = registrationPayload(jwk);
    const verified = verifyRegistration(await signedRegistration(pki.verifier, payload), {
      trustedCas: pki.trustedCas,
    });
    assert.deepEqual(verified.payload, payload);
    assert.match(verified.signerSubject, /CN=verifier1/);
    assert.match(verified.id, /^[A-Za-z0-9_-]{43}$/);
  });

  it('accepts a chain through an intermediate CA, and the root included in x5c', async () => {
    const intermediate = pki.bankCa.issueIntermediate('BankOrg-ica');
    const leaf = intermediate.issue({ commonName: 'verifier2', attributes: { 'kyc.role': 'bank-verifier' } });
    const payload = registrationPayload(jwk);
    const viaIntermediate = await signedRegistration(leaf, payload, [leaf.certPem, intermediate.certPem]);
    assert.equal(verifyRegistration(viaIntermediate, { trustedCas: pki.trustedCas }).payload.iss, 'BankMSP');
    const withRoot = await signedRegistration(pki.verifier, payload, [pki.verifier.certPem, pki.bankCa.certPem]);
    assert.equal(verifyRegistration(withRoot, { trustedCas: pki.trustedCas }).payload.iss, 'BankMSP');
    // Without the intermediate in x5c (and not trusted directly) the leaf cannot reach the root.
    const leafOnly = await signedRegistration(leaf, payload);
    assert.throws(() => verifyRegistration(leafOnly, { trustedCas: pki.trustedCas }), isCode('KYC_UNTRUSTED'));
  });

  it('refuses a leaf from another CA, even one trusted for another organisation (KYC_UNTRUSTED)', async () => {
    const payload = registrationPayload(jwk);
    for (const signer of [pki.impostor, pki.certifierWithBankRole]) {
      const jws = await signedRegistration(signer, payload);
      assert.throws(() => verifyRegistration(jws, { trustedCas: pki.trustedCas }), isCode('KYC_UNTRUSTED'));
    }
  });

  it('refuses an issuer with no trusted CA (KYC_UNTRUSTED)', async () => {
    const jws = await signedRegistration(pki.verifier, registrationPayload(jwk, { iss: 'UnknownBankMSP' }));
    assert.throws(() => verifyRegistration(jws, { trustedCas: pki.trustedCas }), isCode('KYC_UNTRUSTED'));
  });

  it('refuses a bank certificate without kyc.role=bank-verifier (KYC_UNTRUSTED)', async () => {
    const jws = await signedRegistration(pki.clerk, registrationPayload(jwk));
    assert.throws(() => verifyRegistration(jws, { trustedCas: pki.trustedCas }), isCode('KYC_UNTRUSTED'));
    const wrongRole = pki.bankCa.issue({ commonName: 'c', attributes: { 'kyc.role': 'certifier' } });
    const jws2 = await signedRegistration(wrongRole, registrationPayload(jwk));
    assert.throws(() => verifyRegistration(jws2, { trustedCas: pki.trustedCas }), isCode('KYC_UNTRUSTED'));
  });

  it('refuses a malformed attribute extension (KYC_INVALID_ARGUMENT)', async () => {
    const odd = pki.bankCa.issue({ commonName: 'odd', rawAttributeExtension: Buffer.from('{"attrs":["kyc.role"]}') });
    const jws = await signedRegistration(odd, registrationPayload(jwk));
    assert.throws(() => verifyRegistration(jws, { trustedCas: pki.trustedCas }), isCode('KYC_INVALID_ARGUMENT'));
  });

  it('refuses a QR signed by a key the bank CA never certified, behind the real certificate (KYC_BAD_SIGNATURE)', async () => {
    const attacker = softwareEs256Signer(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const jws = await forge(
      { typ: TYP.registration, x5c: [pki.verifier.derBase64] },
      registrationPayload(jwk),
      attacker,
    );
    assert.throws(() => verifyRegistration(jws, { trustedCas: pki.trustedCas }), isCode('KYC_BAD_SIGNATURE'));
  });

  it('refuses a tampered payload (KYC_BAD_SIGNATURE)', async () => {
    const jws = await signedRegistration(pki.verifier, registrationPayload(jwk));
    const [h, p, s] = jws.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = Buffer.from(JSON.stringify({ ...payload, endpoint: 'http://127.0.0.1:6666/steal' })).toString(
      'base64url',
    );
    assert.throws(
      () => verifyRegistration(`${h}.${tampered}.${s}`, { trustedCas: pki.trustedCas }),
      isCode('KYC_BAD_SIGNATURE'),
    );
  });

  it('refuses an expired registration and one issued in the future (KYC_EXPIRED / KYC_INVALID_ARGUMENT)', async () => {
    const past = registrationPayload(jwk, {}, new Date(Date.now() - 3600_000));
    const jws = await signedRegistration(pki.verifier, past);
    assert.throws(() => verifyRegistration(jws, { trustedCas: pki.trustedCas }), isCode('KYC_EXPIRED'));
    const future = await signedRegistration(
      pki.verifier,
      registrationPayload(jwk, {}, new Date(Date.now() + 3600_000)),
    );
    assert.throws(() => verifyRegistration(future, { trustedCas: pki.trustedCas }), isCode('KYC_INVALID_ARGUMENT'));
  });

  it('refuses a registration whose certificate has expired at the time it is checked (KYC_EXPIRED)', async () => {
    const shortLived = pki.bankCa.issue({ commonName: 'v', attributes: { 'kyc.role': 'bank-verifier' }, days: 1 });
    const later = new Date(Date.now() + 3 * 86400_000);
    const jws = await signedRegistration(shortLived, registrationPayload(jwk, {}, later));
    assert.throws(() => verifyRegistration(jws, { trustedCas: pki.trustedCas, now: later }), isCode('KYC_EXPIRED'));
    const { payload } = verifyRegistration(await signedRegistration(shortLived, registrationPayload(jwk)), {
      trustedCas: pki.trustedCas,
    });
    assert.equal(payload.iss, 'BankMSP');
  });

  it('refuses tokens of another typ, without x5c, or with junk in x5c (KYC_INVALID_ARGUMENT)', async () => {
    const payload = registrationPayload(jwk);
    const headers = [
      { typ: TYP.consent, x5c: [pki.verifier.derBase64] },
      { typ: TYP.registration },
      { typ: TYP.registration, x5c: ['bm90IGEgY2VydA=='] },
      { typ: TYP.registration, x5c: [pki.verifier.derBase64.slice(0, -8)] }, // truncated DER
      { typ: TYP.registration, x5c: [` ${pki.verifier.derBase64}`] },
      { typ: TYP.registration, x5c: Array(5).fill(pki.verifier.derBase64) },
    ];
    for (const header of headers) {
      const jws = await forge(header, payload, pki.verifier.sign);
      assert.throws(() => verifyRegistration(jws, { trustedCas: pki.trustedCas }), isCode('KYC_INVALID_ARGUMENT'));
    }
  });

  it('refuses a malformed payload from a trusted signer (KYC_INVALID_ARGUMENT)', async () => {
    const bad = { ...registrationPayload(jwk), min_level: 9 };
    const jws = await forge({ typ: TYP.registration, x5c: [pki.verifier.derBase64] }, bad, pki.verifier.sign);
    assert.throws(() => verifyRegistration(jws, { trustedCas: pki.trustedCas }), isCode('KYC_INVALID_ARGUMENT'));
  });

  it('refuses trust lists holding non-CA certificates (KYC_INVALID_ARGUMENT)', async () => {
    const jws = await signedRegistration(pki.verifier, registrationPayload(jwk));
    assert.throws(
      () => verifyRegistration(jws, { trustedCas: { BankMSP: [pki.verifier.certPem] } }),
      isCode('KYC_INVALID_ARGUMENT'),
    );
    assert.throws(() => verifyRegistration(jws, { trustedCas: { BankMSP: ['junk'] } }), isCode('KYC_INVALID_ARGUMENT'));
  });

  it('refuses certificates that are expired CAs or carry unknown critical extensions', async () => {
    const critical = pki.bankCa.issue({
      commonName: 'crit',
      attributes: { 'kyc.role': 'bank-verifier' },
      extraExtensions: ['1.2.3.4.99=critical,DER:05:00'],
    });
    const jws = await signedRegistration(critical, registrationPayload(jwk));
    assert.throws(() => verifyRegistration(jws, { trustedCas: pki.trustedCas }), isCode('KYC_UNTRUSTED'));
    const noSign = pki.bankCa.issue({
      commonName: 'enc-only',
      attributes: { 'kyc.role': 'bank-verifier' },
      extraExtensions: ['keyUsage=critical,keyAgreement'],
    });
    const jws2 = await signedRegistration(noSign, registrationPayload(jwk));
    assert.throws(() => verifyRegistration(jws2, { trustedCas: pki.trustedCas }), isCode('KYC_UNTRUSTED'));
    // The bank CA expires after 60 days: at day 61 everything it issued is refused.
    const ca = createTestCa('ShortOrg');
    try {
      const leaf = ca.issue({ commonName: 'v', attributes: { 'kyc.role': 'bank-verifier' }, days: 365 });
      const later = new Date(Date.now() + 61 * 86400_000);
      const token = await signedRegistration(leaf, registrationPayload(jwk, {}, later));
      assert.throws(
        () => verifyRegistration(token, { trustedCas: { BankMSP: [ca.certPem] }, now: later }),
        isCode('KYC_EXPIRED'),
      );
    } finally {
      ca.dispose();
    }
  });
});
