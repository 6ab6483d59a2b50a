import assert from 'node:assert/strict';
import { KycError } from '../../../../protocol/src';
import { passiveAuthentication } from '../../../../intake/src/chip/passive-auth';
import {
  certDer,
  makeCrl,
  makeCsca,
  makeDg1,
  makeDg2,
  makeDocumentSigner,
  makeSod,
  type Signer,
} from '../../../../intake/testing/chip';
import { portrait } from '../../../../intake/testing/documents';
import { randomIdentity, td3Lines } from '../../../../intake/testing/identities';

const isCode = (code: string) => (err: unknown) => err instanceof KycError && err.code === code;

describe('intake chip passive authentication', () => {
  let csca: Signer;
  let ds: Signer;
  let dg1: Uint8Array;
  let dg2: Uint8Array;
  let jpeg: Uint8Array;
  const lines = td3Lines(randomIdentity(5));
  before(async () => {
    csca = await makeCsca();
    ds = await makeDocumentSigner(csca);
    jpeg = new Uint8Array(await (await portrait(1, 240)).encode('jpeg', 80));
    dg1 = makeDg1(lines);
    dg2 = makeDg2(jpeg);
  });

  const groups = () =>
    new Map([
      [1, dg1],
      [2, dg2],
    ]);

  it('passes a SOD signed by a Document Signer of a trusted CSCA, returning DG1 and the DG2 portrait', async () => {
    for (const hash of ['SHA-256', 'SHA-384', 'SHA-512'] as const) {
      const sod = await makeSod(ds, groups(), hash);
      const result = await passiveAuthentication({ sod, dg1, dg2 }, { cscas: [certDer(csca)] });
      assert.equal(result.valid, true);
      assert.deepEqual(result.dg1Lines, lines);
      assert.equal(result.portrait.type, 'image/jpeg');
      assert.deepEqual(Buffer.from(result.portrait.bytes), Buffer.from(jpeg));
      assert.equal(result.hashAlgorithm, hash.replace('-', '').toLowerCase());
      assert.match(result.signer.subject, /Document Signer 1001/);
      assert.equal(result.signer.serial, '1001');
    }
  });

  it('refuses a Document Signer from an untrusted CSCA (KYC_UNTRUSTED)', async () => {
    const other = await makeCsca('CN=Other CSCA,C=DE');
    const rogue = await makeDocumentSigner(other, '2002');
    const sod = await makeSod(rogue, groups());
    await assert.rejects(passiveAuthentication({ sod, dg1, dg2 }, { cscas: [certDer(csca)] }), isCode('KYC_UNTRUSTED'));
    const sameName = await makeCsca();
    const forged = await makeDocumentSigner(sameName, '2003');
    await assert.rejects(
      passiveAuthentication({ sod: await makeSod(forged, groups()), dg1, dg2 }, { cscas: [certDer(csca)] }),
      isCode('KYC_UNTRUSTED'),
    );
  });

  it('refuses DG1 or DG2 changed after signing (KYC_MISMATCH)', async () => {
    const sod = await makeSod(ds, groups());
    const other = makeDg1(td3Lines(randomIdentity(6)));
    await assert.rejects(
      passiveAuthentication({ sod, dg1: other, dg2 }, { cscas: [certDer(csca)] }),
      isCode('KYC_MISMATCH'),
    );
    const changed = Uint8Array.from(dg2);
    changed[changed.length - 10] = (changed[changed.length - 10] ?? 0) ^ 1;
    await assert.rejects(
      passiveAuthentication({ sod, dg1, dg2: changed }, { cscas: [certDer(csca)] }),
      isCode('KYC_MISMATCH'),
    );
  });

  it('refuses a Document Signer outside its validity at the time given (KYC_EXPIRED)', async () => {
    const old = await makeDocumentSigner(csca, '3003', new Date(Date.now() - 800 * 86_400_000), 365);
    const sod = await makeSod(old, groups());
    await assert.rejects(passiveAuthentication({ sod, dg1, dg2 }, { cscas: [certDer(csca)] }), isCode('KYC_EXPIRED'));
    const atSigning = new Date(Date.now() - 700 * 86_400_000);
    await assert.rejects(
      passiveAuthentication({ sod, dg1, dg2 }, { cscas: [certDer(csca)] }, atSigning),
      isCode('KYC_EXPIRED'),
      'the CSCA did not exist yet',
    );
  });

  it('refuses a Document Signer on the CSCA CRL (KYC_REVOKED); a CRL not listing it changes nothing', async () => {
    const sod = await makeSod(ds, groups());
    const revoked = await makeCrl(csca, ['1001']);
    await assert.rejects(
      passiveAuthentication({ sod, dg1, dg2 }, { cscas: [certDer(csca)], crls: [revoked] }),
      isCode('KYC_REVOKED'),
    );
    const clean = await makeCrl(csca, ['0999']);
    assert.equal(
      (await passiveAuthentication({ sod, dg1, dg2 }, { cscas: [certDer(csca)], crls: [clean] })).valid,
      true,
    );
  });

  it('refuses a SOD whose signature does not verify (KYC_BAD_SIGNATURE) and malformed bytes (KYC_INVALID_ARGUMENT)', async () => {
    const sod = await makeSod(ds, groups());
    const other = await makeSod(
      ds,
      new Map([
        [1, makeDg1(td3Lines(randomIdentity(9)))],
        [2, dg2],
      ]),
    );
    // Splice the other SOD's signature value into this one: same length (ECDSA may differ by a byte; retry).
    const sig = (b: Uint8Array) => b.subarray(b.length - 72);
    const tampered = Uint8Array.from(sod);
    tampered.set(sig(other).subarray(8, 40), tampered.length - 64);
    await assert.rejects(
      passiveAuthentication({ sod: tampered, dg1, dg2 }, { cscas: [certDer(csca)] }),
      (err: unknown) => isCode('KYC_BAD_SIGNATURE')(err) || isCode('KYC_INVALID_ARGUMENT')(err),
    );
    await assert.rejects(
      passiveAuthentication({ sod: new Uint8Array([1, 2, 3]), dg1, dg2 }, { cscas: [certDer(csca)] }),
      isCode('KYC_INVALID_ARGUMENT'),
    );
  });
});
