import assert from 'node:assert/strict';
import { createCanvas } from '@napi-rs/canvas';
import { KycError } from '../../../../protocol/src';
import { loadFaceModels, matchFaces } from '../../../../intake/src/face/matcher';
import { portrait, renderDocument } from '../../../../intake/testing/documents';
import { randomIdentity } from '../../../../intake/testing/identities';
import { transformedPhoto } from '../../../../intake/testing/transform';

const isCode = (code: string) => (err: unknown) => err instanceof KycError && err.code === code;

describe('intake face match (face-api on wasm, models from the package)', function () {
  this.timeout(60_000);
  before(async () => {
    await loadFaceModels();
  });

  it('accepts the same face in a transformed copy, under the threshold', async () => {
    const a = await (await portrait(0)).encode('png');
    const result = await matchFaces(await transformedPhoto(a), a);
    assert.equal(result.match, true, `distance ${result.distance}`);
    assert.ok(result.distance < result.threshold);
  });

  it('matches a selfie against the photo on a document image (the largest face on the page)', async () => {
    const selfie = await transformedPhoto(await (await portrait(2)).encode('png'));
    const doc = await renderDocument(randomIdentity(2), 'TD3', 'noisy', 2, 2);
    const result = await matchFaces(selfie, doc.image);
    assert.equal(result.match, true, `distance ${result.distance}`);
  });

  it('refuses two different people', async () => {
    const a = await (await portrait(0)).encode('png');
    const b = await (await portrait(7)).encode('png');
    const result = await matchFaces(a, b);
    assert.equal(result.match, false, `distance ${result.distance}`);
  });

  it('refuses an image with no face (KYC_UNREADABLE) and a non-image (KYC_INVALID_ARGUMENT)', async () => {
    const blank = createCanvas(300, 400);
    blank.getContext('2d').fillStyle = '#eee';
    blank.getContext('2d').fillRect(0, 0, 300, 400);
    const a = await (await portrait(0)).encode('png');
    await assert.rejects(matchFaces(await blank.encode('png'), a), isCode('KYC_UNREADABLE'));
    await assert.rejects(matchFaces(new Uint8Array([1, 2, 3, 4]), a), isCode('KYC_INVALID_ARGUMENT'));
  });
});
