import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { decodeJws, KycError, parseRegistrationPayload, TYP, verifyJws } from '../../../../protocol/src';
import { signRegistration } from '../../../../protocol/src/jose';
import { softwareEs256Signer } from '../../../support/software-keys';
import { createTestCa, type IssuedCertificate, type TestCa } from '../../../support/test-ca';
import { bankEncryptionKey, registrationPayload } from '../../wallet/helpers';

function isCode(code: string) {
  return (error: unknown) => error instanceof KycError && error.code === code;
}

describe('signRegistration', () => {
  let ca: TestCa;
  let verifier: IssuedCertificate;
  const { jwk } = bankEncryptionKey();

  before(() => {
    ca = createTestCa('BankOrg');
    verifier = ca.issue({ commonName: 'verifier1', attributes: { 'kyc.role': 'bank-verifier' } });
  });
  after(() => {
    ca.dispose();
  });

  it('signs a kyc-registration+jwt with x5c = base64 DER of each certificate, verifiable with the leaf key', async () => {
    const payload = registrationPayload(jwk);
    const jws = await signRegistration(payload, {
      sign: verifier.sign,
      certificateChainPem: [verifier.certPem, ca.certPem],
    });
    const decoded = verifyJws(jws, TYP.registration, verifier.certificate.publicKey);
    assert.deepEqual(decoded.header.x5c, [verifier.derBase64, ca.derBase64]);
    assert.deepEqual(parseRegistrationPayload(decoded.payload), payload);
  });

  it('refuses a signer that does not hold the leaf certificate key (KYC_INTERNAL)', async () => {
    const stranger = softwareEs256Signer(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    await assert.rejects(
      signRegistration(registrationPayload(jwk), { sign: stranger, certificateChainPem: [verifier.certPem] }),
      isCode('KYC_INTERNAL'),
    );
  });

  it('refuses malformed payloads, long lifetimes and bad chains without signing', async () => {
    let signed = 0;
    const sign = (data: Uint8Array) => {
      signed++;
      return verifier.sign(data);
    };
    const now = registrationPayload(jwk);
    const bad = [
      { ...now, iss: 'not an msp!' },
      { ...now, claims: [] },
      { ...now, endpoint: 'ftp://x' },
      { ...now, exp: now.iat + 7200 },
      { ...now, enc_jwk: { ...jwk, d: 'secret' } },
    ];
    for (const payload of bad) {
      await assert.rejects(
        signRegistration(payload, { sign, certificateChainPem: [verifier.certPem] }),
        isCode('KYC_INVALID_ARGUMENT'),
      );
    }
    for (const chain of [
      [],
      ['not a pem'],
      [`${verifier.certPem}${ca.certPem}`],
      Array(5).fill(verifier.certPem) as string[],
    ]) {
      await assert.rejects(signRegistration(now, { sign, certificateChainPem: chain }), isCode('KYC_INVALID_ARGUMENT'));
    }
    assert.equal(signed, 0);
  });

  it('keeps only the payload fields of the protocol', async () => {
    const payload = { ...registrationPayload(jwk), extra: 'dropped' };
    const jws = await signRegistration(payload, { sign: verifier.sign, certificateChainPem: [verifier.certPem] });
    assert.equal('extra' in decodeJws(jws, TYP.registration).payload, false);
  });
});
