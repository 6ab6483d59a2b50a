import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { concatKdf } from '../../../../protocol/src/jose';

describe('Concat KDF (RFC 7518 §4.6.2)', () => {
  it('derives the key of RFC 7518 Appendix C (ECDH-ES, A128GCM, apu Alice, apv Bob)', () => {
    const alice = createPrivateKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: 'gI0GAILBdu7T53akrFmMyGcsF3n5dO7MmwNBHKW5SV0',
        y: 'SLW_xSffzlPWrHEVI30DHM_4egVwt3NQqeUD7nMFpps',
        d: '0_NxaRPUMQoAJt50Gz8YiTr8gRTwyEaCumd-MToTmIo',
      },
    });
    const bob = createPublicKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: 'weNJy2HscCSM6AEDTDg04biOvhFhyyWvOHQfeF_PxMQ',
        y: 'e8lnCO-AlStT-NJVX-crhB7QRYhiix03illJOVAOyck',
      },
    });
    const z = diffieHellman({ privateKey: alice, publicKey: bob });
    const key = concatKdf(z, 'A128GCM', Buffer.from('Alice'), Buffer.from('Bob'), 128);
    assert.equal(key.toString('base64url'), 'VqqN6vgjbSBcIijNcacQGg');
  });

  it('runs one hash round per 256 bits and binds the key length into the derivation', () => {
    const z = Buffer.alloc(32, 7);
    const long = concatKdf(z, 'X', Buffer.alloc(0), Buffer.alloc(0), 512);
    assert.equal(long.length, 64);
    // keydatalen is part of OtherInfo, so a shorter key is not a prefix of a longer one.
    assert.notDeepEqual(concatKdf(z, 'X', Buffer.alloc(0), Buffer.alloc(0), 256), long.subarray(0, 32));
  });

  it('refuses key lengths that are not positive multiples of 8', () => {
    for (const bits of [0, -8, 7, 1.5]) {
      assert.throws(() => concatKdf(Buffer.alloc(32), 'A256GCM', Buffer.alloc(0), Buffer.alloc(0), bits), RangeError);
    }
  });
});
