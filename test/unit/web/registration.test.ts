import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { signJws, TYP, type RegistrationPayload } from '../../../protocol/src';
import { softwareEs256Signer } from '../../support/software-keys';
import { verifyRegistration as verifyInNode } from '../../../wallet/src';
import { parseReference, verifyRegistration } from '../../../web/app/lib/registration';
import { bankEncryptionKey, createPki, registrationPayload, signedRegistration, type Pki } from '../wallet/helpers';

/**
 * The browser wallet's registration check (web/app/lib, pkijs on WebCrypto) reaches the same verdicts as the
 * CLI wallet's (node:crypto) on the same registrations, and checks that the request is the one the QR named.
 */

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'accepted';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

function nodeCodeOf(fn: () => unknown): string {
  try {
    fn();
    return 'accepted';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
}

describe('web wallet: verifyRegistration (browser code, WebCrypto)', () => {
  let pki: Pki;
  const { jwk } = bankEncryptionKey();
  before(() => {
    pki = createPki();
  });
  after(() => {
    pki.dispose();
  });

  const referenceOf = (p: RegistrationPayload) => ({
    requestUri: `https://bank.example.com:8081/v1/registrations/${p.registration_id}/request`,
    registrationId: p.registration_id,
  });

  it('accepts what the CLI wallet accepts and names the signer', async () => {
    const payload = registrationPayload(jwk);
    const jws = await signedRegistration(pki.verifier, payload);
    const verified = await verifyRegistration(jws, referenceOf(payload), pki.trustedCas);
    assert.deepEqual(verified.payload, payload);
    assert.equal(verified.signer.CN, 'verifier1');
  });

  it('reaches the CLI wallet’s verdict for every kind of bad registration', async () => {
    const attacker = softwareEs256Signer(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const payload = registrationPayload(jwk);
    const expired = registrationPayload(jwk, {}, new Date(Date.now() - 3_600_000));
    const cases: [string, string, RegistrationPayload][] = [
      ['impostor CA', await signedRegistration(pki.impostor, payload), payload],
      ['another org’s CA', await signedRegistration(pki.certifierWithBankRole, payload), payload],
      ['no role', await signedRegistration(pki.clerk, payload), payload],
      [
        'unknown issuer',
        await signedRegistration(pki.verifier, registrationPayload(jwk, { iss: 'OtherMSP' })),
        payload,
      ],
      [
        'forged signature',
        await signJws({ typ: TYP.registration, x5c: [pki.verifier.derBase64] }, { ...payload }, attacker),
        payload,
      ],
      [
        'expired',
        await signJws({ typ: TYP.registration, x5c: [pki.verifier.derBase64] }, { ...expired }, pki.verifier.sign),
        expired,
      ],
      [
        'wrong typ',
        await signJws({ typ: TYP.consent, x5c: [pki.verifier.derBase64] }, { ...payload }, pki.verifier.sign),
        payload,
      ],
    ];
    for (const [name, jws, p] of cases) {
      const browser = await codeOf(verifyRegistration(jws, referenceOf(p), pki.trustedCas));
      const node = nodeCodeOf(() => verifyInNode(jws, { trustedCas: pki.trustedCas }));
      assert.notEqual(browser, 'accepted', name);
      assert.equal(browser, node, name);
    }
  });

  it('refuses a request that is not the one the QR named (KYC_MISMATCH)', async () => {
    const payload = registrationPayload(jwk);
    const jws = await signedRegistration(pki.verifier, payload);
    const other = { ...referenceOf(payload), registrationId: 'A'.repeat(22) };
    assert.equal(await codeOf(verifyRegistration(jws, other, pki.trustedCas)), 'KYC_MISMATCH');
    const elsewhere = {
      ...referenceOf(payload),
      requestUri: `https://evil.example/v1/registrations/${payload.registration_id}/request`,
    };
    assert.equal(await codeOf(verifyRegistration(jws, elsewhere, pki.trustedCas)), 'KYC_MISMATCH');
  });

  it('reads only request_uri references from a QR', () => {
    const id = 'Vq3cV2dQm0pG8nFh5w1x3A';
    assert.deepEqual(parseReference(` http://127.0.0.1:8081/v1/registrations/${id}/request `), {
      requestUri: `http://127.0.0.1:8081/v1/registrations/${id}/request`,
      registrationId: id,
    });
    for (const bad of [
      'hello',
      'javascript:alert(1)',
      `ftp://x/v1/registrations/${id}/request`,
      `http://x/v1/registrations/${id}/request?x=1`,
      `http://x/v1/registrations/short/request`,
      'eyJhbGciOiJFUzI1NiJ9.e30.x',
    ]) {
      assert.throws(
        () => parseReference(bad),
        (err: unknown) => (err as { code?: string }).code === 'KYC_INVALID_ARGUMENT',
        bad,
      );
    }
  });
});
