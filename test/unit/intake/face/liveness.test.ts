import assert from 'node:assert/strict';
import { createCanvas } from '@napi-rs/canvas';
import { KycError } from '../../../../protocol/src';
import { LIVENESS_NOTE, livenessScores } from '../../../../intake/src/face/liveness';
import { matchFaces } from '../../../../intake/src/face/matcher';
import { portrait } from '../../../../intake/testing/documents';
import { transformedPhoto } from '../../../../intake/testing/transform';

describe('intake passive liveness (Human anti-spoof and liveness models, on the shared wasm backend)', function () {
  this.timeout(120_000);

  it('scores a face between 0 and 1, says what the scores are, and names the models', async () => {
    const selfie = await transformedPhoto(await (await portrait(0)).encode('jpeg', 90));
    const scores = await livenessScores(selfie);
    assert.ok(scores !== undefined, 'a face was scored');
    for (const value of [scores.antispoof, scores.liveness]) assert.ok(value >= 0 && value <= 1, String(value));
    assert.equal(scores.note, LIVENESS_NOTE);
    assert.match(scores.model, /^@vladmandic\/human \d+\.\d+\.\d+/);
  });

  it('gives no score to an image without a face', async () => {
    const canvas = createCanvas(320, 240);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#8a9';
    ctx.fillRect(0, 0, 320, 240);
    assert.equal(await livenessScores(await canvas.encode('png')), undefined);
  });

  it('refuses a file that is not an image, like the matcher', async () => {
    await assert.rejects(
      livenessScores(Buffer.from('not an image')),
      (err: unknown) => err instanceof KycError && err.code === 'KYC_INVALID_ARGUMENT',
    );
  });

  it('leaves the face matcher working on the same backend afterwards', async () => {
    const a = await (await portrait(2)).encode('png');
    await livenessScores(a);
    assert.equal((await matchFaces(await transformedPhoto(a), a)).match, true);
  });
});
