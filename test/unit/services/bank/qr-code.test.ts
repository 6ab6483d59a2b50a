import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import { KycError } from '../../../../protocol/src';
import { MAX_QR_TEXT_BYTES, renderQrCode } from '../../../../services/src/bank/qr-code';

describe('renderQrCode', () => {
  it('renders a PNG and an SVG', async () => {
    const { png, svg } = await renderQrCode('hello');
    const image = PNG.sync.read(png);
    assert.ok(image.width > 0 && image.width === image.height);
    assert.match(svg, /^<svg [^>]*viewBox="0 0 \d+ \d+"/);
  });

  it('picks the strongest error correction that fits: Q for short text, L for a 2.5 KB JWS', async () => {
    assert.equal((await renderQrCode('x'.repeat(100))).errorCorrectionLevel, 'Q');
    assert.equal((await renderQrCode('x'.repeat(2000))).errorCorrectionLevel, 'M');
    assert.equal((await renderQrCode('x'.repeat(2500))).errorCorrectionLevel, 'L');
  });

  it('uses 4 pixels per module and a 4-module quiet zone by default', async () => {
    const { png } = await renderQrCode('x'.repeat(2500)); // version 37 at L: 165 modules
    assert.equal(PNG.sync.read(png).width, (165 + 2 * 4) * 4);
  });

  it('refuses empty text, text over the capacity and silly sizes', async () => {
    const isInvalid = (error: unknown) => error instanceof KycError && error.code === 'KYC_INVALID_ARGUMENT';
    await assert.rejects(renderQrCode(''), isInvalid);
    await assert.rejects(renderQrCode('x'.repeat(MAX_QR_TEXT_BYTES + 1)), isInvalid);
    await assert.rejects(renderQrCode('x', { scale: 0 }), isInvalid);
    await assert.rejects(renderQrCode('x', { margin: 1.5 }), isInvalid);
  });
});
