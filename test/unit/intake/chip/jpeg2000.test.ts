import assert from 'node:assert/strict';
import { KycError } from '../../../../protocol/src';
import { jpeg2000Codestream, jpeg2000ToPng } from '../../../../intake/src/chip/jpeg2000';
import { readDg2 } from '../../../../intake/src/chip/lds';
import { matchFaces } from '../../../../intake/src/face/matcher';
import { jp2Portrait, makeDg2 } from '../../../../intake/testing/chip';
import { portrait } from '../../../../intake/testing/documents';
import { transformedPhoto } from '../../../../intake/testing/transform';

const invalid = (err: unknown): boolean => err instanceof KycError && err.code === 'KYC_INVALID_ARGUMENT';

describe('intake JPEG 2000 portraits (DG2), decoded in memory by OpenJPEG (WASM)', function () {
  this.timeout(60_000);

  it('reads a JP2 portrait out of DG2 and decodes it to a PNG in which the same face matches a selfie', async () => {
    const jpeg = await (await portrait(6, 300)).encode('jpeg', 90);
    const jp2 = await jp2Portrait(jpeg);
    const found = readDg2(makeDg2(jp2));
    assert.equal(found.type, 'image/jp2');
    const png = await jpeg2000ToPng(found.bytes);
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.equal((await matchFaces(await transformedPhoto(jpeg), png)).match, true);
  });

  it('takes a bare codestream as well as a JP2 file', async () => {
    const jp2 = await jp2Portrait(await (await portrait(2, 120)).encode('jpeg', 90));
    const codestream = jpeg2000Codestream(jp2);
    assert.deepEqual([...codestream.subarray(0, 4)], [0xff, 0x4f, 0xff, 0x51]);
    assert.deepEqual(await jpeg2000ToPng(codestream), await jpeg2000ToPng(jp2));
  });

  it('refuses what is not JPEG 2000, a JP2 without a codestream, a box that overruns, and a truncated codestream', async () => {
    const jp2 = Buffer.from(await jp2Portrait(await (await portrait(2, 120)).encode('jpeg', 90)));
    const signature = jp2.subarray(0, 12);
    const overrun = Buffer.concat([signature, Buffer.from('0000ffff6a703263', 'hex'), Buffer.alloc(16)]);
    const codestream = jpeg2000Codestream(jp2);
    for (const bad of [Buffer.from('GIF89a......'), signature, overrun, codestream.subarray(0, 80)]) {
      await assert.rejects(jpeg2000ToPng(bad), invalid);
    }
  });
});
