import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import fc from 'fast-check';
import { isLowS, p1363ToLowSDer, toLowS } from '../../../../gateway/src/hsm/ecdsa-signature';
import { P256_ORDER } from '../../../../gateway/src/hsm/p256';

const toHex = (value: bigint): string => value.toString(16).padStart(64, '0');

function highS(signature: Buffer): Buffer {
  const s = BigInt(`0x${signature.subarray(32).toString('hex')}`);
  return Buffer.concat([signature.subarray(0, 32), Buffer.from(toHex(P256_ORDER - s), 'hex')]);
}

describe('gateway/hsm/ecdsa-signature', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('turns any r || s (low or high S) into a low-S DER signature that verifies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), fc.boolean(), (message, flip) => {
        const raw = sign('sha256', message, { key: privateKey, dsaEncoding: 'ieee-p1363' });
        const input = flip ? highS(raw) : raw;
        assert.equal(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, input), true);
        const der = p1363ToLowSDer(input);
        assert.equal(verify('sha256', message, { key: publicKey, dsaEncoding: 'der' }, der), true);
        assert.equal(isLowS(toLowS(input)), true);
      }),
      { numRuns: 200 },
    );
  });

  it('flips a high S to n − s and leaves a low S alone', () => {
    const r = Buffer.alloc(32, 1);
    const low = Buffer.concat([r, Buffer.from(toHex(5n), 'hex')]);
    const high = Buffer.concat([r, Buffer.from(toHex(P256_ORDER - 5n), 'hex')]);
    assert.equal(isLowS(low), true);
    assert.equal(isLowS(high), false);
    assert.deepEqual(toLowS(high), low);
    assert.deepEqual(toLowS(low), low);
  });

  it('encodes minimal DER INTEGERs: no needless zeros, a zero byte before a set high bit', () => {
    const small = Buffer.concat([Buffer.from(toHex(1n), 'hex'), Buffer.from(toHex(0x80n), 'hex')]);
    // SEQUENCE(7) { INTEGER(1) 01, INTEGER(2) 00 80 }
    assert.equal(p1363ToLowSDer(small).toString('hex'), '3007' + '020101' + '02020080');
    const wide = Buffer.concat([Buffer.alloc(32, 0xff).fill(0x7f, 0, 1), Buffer.from(toHex(0x7fn), 'hex')]);
    const der = p1363ToLowSDer(wide);
    // SEQUENCE(37) { INTEGER(32) 7fff…ff, INTEGER(1) 7f }
    assert.equal(der.toString('hex'), '30250220' + '7f' + 'ff'.repeat(31) + '02017f');
  });

  it('refuses a signature that is not 64 bytes', () => {
    assert.throws(() => p1363ToLowSDer(Buffer.alloc(63)), { code: 'HSM_OPERATION_FAILED' });
  });
});
