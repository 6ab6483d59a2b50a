import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { didKeyFromPublicKey, isP256DidKeyShape, KycError, publicKeyFromDidKey } from '../../../protocol/src';

function newPublicKey() {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
}

describe('did:key for P-256', () => {
  it('encodes a key as did:key:zDn… and decodes it back to the same point', () => {
    for (let i = 0; i < 20; i++) {
      const publicKey = newPublicKey();
      const did = didKeyFromPublicKey(publicKey);
      assert.match(did, /^did:key:zDn/);
      assert.equal(did.length, 57);
      assert.deepEqual(publicKeyFromDidKey(did).export({ format: 'jwk' }), publicKey.export({ format: 'jwk' }));
    }
  });

  it('matches the did:key test vector of the W3C CCG spec', () => {
    // did-method-key test vector for P-256 (x, y from the spec's JWK).
    const did = 'did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169';
    const jwk = publicKeyFromDidKey(did).export({ format: 'jwk' });
    assert.equal(jwk.crv, 'P-256');
    assert.equal(didKeyFromPublicKey(publicKeyFromDidKey(did)), did);
  });

  it('refuses other key types', () => {
    const ed = generateKeyPairSync('ed25519').publicKey;
    assert.throws(
      () => didKeyFromPublicKey(ed),
      (e: unknown) => e instanceof KycError && e.code === 'KYC_INVALID_ARGUMENT',
    );
    const k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).publicKey;
    assert.throws(
      () => didKeyFromPublicKey(k1),
      (e: unknown) => e instanceof KycError && e.code === 'KYC_INVALID_ARGUMENT',
    );
  });

  it('rejects every string that is not a P-256 did:key with KYC_INVALID_ARGUMENT', () => {
    const valid = didKeyFromPublicKey(newPublicKey());
    const mutations = fc.oneof(
      fc.string(),
      fc.string().map((s) => `did:key:${s}`),
      fc
        .nat({ max: 56 })
        .chain((i) => fc.string({ minLength: 1, maxLength: 1 }).map((c) => valid.slice(0, i) + c + valid.slice(i + 1))),
    );
    fc.assert(
      fc.property(mutations, (candidate: string) => {
        if (candidate === valid) return;
        try {
          const key = publicKeyFromDidKey(candidate);
          // A one-character change can still name another valid point: then it must round-trip to itself.
          assert.equal(didKeyFromPublicKey(key), candidate);
        } catch (e) {
          assert.ok(e instanceof KycError && e.code === 'KYC_INVALID_ARGUMENT');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('recognises the shape only of P-256 did:keys', () => {
    assert.equal(isP256DidKeyShape(didKeyFromPublicKey(newPublicKey())), true);
    assert.equal(isP256DidKeyShape('did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'), false);
    assert.equal(isP256DidKeyShape(42), false);
  });
});
