import assert from 'node:assert/strict';
import { KycError } from '../../../../protocol/src';
import { MAX_IMAGE_BYTES } from '../../../../intake/src/image';
import { MrzReader } from '../../../../intake/src/mrz/reader';
import { renderDocument, portrait } from '../../../../intake/testing/documents';
import { expectedClaims, randomIdentity, td3Lines } from '../../../../intake/testing/identities';

const isCode = (code: string) => (err: unknown) => err instanceof KycError && err.code === code;

describe('intake MRZ reader (real OCR on generated documents)', function () {
  this.timeout(60_000);
  let reader: MrzReader;
  before(async () => {
    reader = await MrzReader.open();
  });
  after(async () => {
    await reader.close();
  });

  it('reads a clean TD3 passport exactly', async () => {
    const doc = await renderDocument(randomIdentity(11), 'TD3', 'clean', 11);
    const result = await reader.read(doc.image);
    assert.deepEqual(result.lines, doc.mrz);
    assert.deepEqual({ ...result.claims }, expectedClaims(doc.identity, 'TD3'));
    assert.equal(result.checkDigitsValid, true);
  });

  it('reads a clean TD1 identity card exactly', async () => {
    const doc = await renderDocument(randomIdentity(12), 'TD1', 'clean', 12);
    const result = await reader.read(doc.image);
    assert.equal(result.format, 'TD1');
    assert.deepEqual(result.lines, doc.mrz);
    assert.deepEqual({ ...result.claims }, expectedClaims(doc.identity, 'TD1'));
  });

  it('reads noisy, rotated and low-resolution documents exactly or refuses them with a code, never wrongly in a checked field', async () => {
    for (const [variant, seed] of [
      ['noisy', 21],
      ['rotated', 22],
      ['lowres', 23],
    ] as const) {
      const doc = await renderDocument(randomIdentity(seed), 'TD3', variant, seed);
      try {
        const result = await reader.read(doc.image);
        assert.equal(result.lines[1], doc.mrz[1], `${variant}: the check-digit-protected line`);
      } catch (err) {
        assert.ok(isCode('KYC_MISMATCH')(err) || isCode('KYC_UNREADABLE')(err), `${variant}: ${String(err)}`);
      }
    }
  });

  it('records the versions of everything that read the MRZ', () => {
    const versions = MrzReader.versions();
    assert.match(versions.engine, /^tesseract\.js 7\.\d+\.\d+ \(legacy engine, OEM 0\)$/);
    assert.match(versions.language, /^@tesseract\.js-data\/eng \d/);
    assert.match(versions.parser, /^mrz 5\./);
    assert.match(versions.templates, /OCR-B/);
  });

  it('refuses what is not a JPEG or PNG, and oversized input (KYC_INVALID_ARGUMENT)', async () => {
    await assert.rejects(
      reader.read(new TextEncoder().encode('%PDF-1.7 not an image')),
      isCode('KYC_INVALID_ARGUMENT'),
    );
    const big = new Uint8Array(MAX_IMAGE_BYTES + 1);
    big.set([0xff, 0xd8, 0xff]);
    await assert.rejects(reader.read(big), isCode('KYC_INVALID_ARGUMENT'));
    await assert.rejects(reader.read(new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2])), isCode('KYC_INVALID_ARGUMENT'));
  });

  it('refuses an image without an MRZ (KYC_UNREADABLE)', async () => {
    const photo = await (await portrait(3)).encode('png');
    await assert.rejects(reader.read(photo), isCode('KYC_UNREADABLE'));
  });

  it('refuses a document whose printed check digit is wrong (KYC_MISMATCH)', async () => {
    const id = randomIdentity(31);
    const [l1, l2] = td3Lines(id);
    // The birth date's check digit, off by five: digits are never guessed, so no repair can hide it.
    const wrong = `${l2.slice(0, 19)}${String((Number(l2[19]) + 5) % 10)}${l2.slice(20)}`;
    const doc = await renderDocument(id, 'TD3', 'clean', 31, 31, [l1, wrong]);
    await assert.rejects(reader.read(doc.image), isCode('KYC_MISMATCH'));
  });
});
