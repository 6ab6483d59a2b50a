import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { renderQrCode } from '../../../services/src/bank/qr-code';
import { decodeQrPng, verifyRegistration } from '../../../wallet/src';
import { bankEncryptionKey, createPki, isCode, registrationPayload, signedRegistration, type Pki } from './helpers';

describe('decodeQrPng', () => {
  let pki: Pki;
  before(() => {
    pki = createPki();
  });
  after(() => {
    pki.dispose();
  });

  const realistic = {
    claims: ['given_name', 'family_name', 'birth_date', 'nationality', 'address', 'document_number'],
    purpose: 'Open a current account with Example Bank AG (anti-money-laundering identification, §10 GwG)',
  };
  const largest = {
    claims: Array.from({ length: 12 }, (_, i) => `claim_number_${i}`),
    purpose: 'P'.repeat(200),
  };

  for (const [name, overrides, min, max] of [
    ['a realistic', realistic, 2100, 2400],
    ['the largest plausible', largest, 2400, 2953],
  ] as const) {
    it(`decodes ${name} registration JWS (fabric-ca-shaped leaf in x5c) rendered by the gateway, exactly`, async () => {
      const jws = await signedRegistration(pki.verifier, registrationPayload(bankEncryptionKey().jwk, overrides));
      assert.ok(jws.length >= min && jws.length <= max, `registration JWS is ${jws.length} characters`);
      const { png, errorCorrectionLevel } = await renderQrCode(jws);
      assert.equal(errorCorrectionLevel, jws.length > 2331 ? 'L' : 'M');
      const decoded = decodeQrPng(png);
      assert.equal(decoded, jws);
      assert.equal(verifyRegistration(decoded, { trustedCas: pki.trustedCas }).payload.iss, 'BankMSP');
    });
  }

  it('reads codes rendered at 2 pixels per module and with a wide quiet zone', async () => {
    const text = 'x'.repeat(1200);
    assert.equal(decodeQrPng((await renderQrCode(text, { scale: 2 })).png), text);
    assert.equal(decodeQrPng((await renderQrCode(text, { margin: 16 })).png), text);
  });

  it('refuses data that is not a PNG, a PNG without a code, and oversized images', () => {
    assert.throws(() => decodeQrPng(Buffer.from('GIF89a...')), isCode('KYC_INVALID_ARGUMENT'));
    const blank = new PNG({ width: 200, height: 200 });
    blank.data.fill(255);
    assert.throws(() => decodeQrPng(PNG.sync.write(blank)), isCode('KYC_INVALID_ARGUMENT'));
    const header = PNG.sync.write(new PNG({ width: 1, height: 1 }));
    header.writeUInt32BE(100_000, 16); // IHDR width claims 100 000 pixels: refused before decoding
    assert.throws(() => decodeQrPng(header), isCode('KYC_INVALID_ARGUMENT'));
    const truncated = PNG.sync.write(blank).subarray(0, 60);
    assert.throws(() => decodeQrPng(truncated), isCode('KYC_INVALID_ARGUMENT'));
  });
});
