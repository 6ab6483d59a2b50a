import assert from 'node:assert/strict';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { KycError } from '../../../../protocol/src';
import { loadFaceModels, matchFaces } from '../../../../intake/src/face/matcher';
import { portrait } from '../../../../intake/testing/documents';

const isCode = (code: string) => (err: unknown) => err instanceof KycError && err.code === code;

/** A "selfie" made from a portrait: rescaled, rotated 3°, brighter, recompressed. */
async function transformed(png: Buffer): Promise<Buffer> {
  const image = await loadImage(png);
  const canvas = createCanvas(Math.round(image.width * 1.3), Math.round(image.height * 1.3));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#889';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.filter = 'brightness(115%)';
  ctx.translate(canvas.width / 2, canvas.height / 2);
  ctx.rotate((3 * Math.PI) / 180);
  ctx.drawImage(image, -image.width * 0.6, -image.height * 0.6, image.width * 1.2, image.height * 1.2);
  return canvas.encode('jpeg', 75);
}

describe('intake face match (face-api on wasm, models from the package)', function () {
  this.timeout(60_000);
  before(async () => {
    await loadFaceModels();
  });

  it('accepts the same face in a transformed copy, under the threshold', async () => {
    const a = await (await portrait(0)).encode('png');
    const result = await matchFaces(await transformed(a), a);
    assert.equal(result.match, true, `distance ${result.distance}`);
    assert.ok(result.distance < result.threshold);
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
