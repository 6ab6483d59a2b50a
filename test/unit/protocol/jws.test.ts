import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { decodeJws, KycError, signJws, TYP, verifyJws } from '../../../protocol/src';

const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');

function signerFor(privateKey: KeyObject) {
  return (data: Uint8Array) => Promise.resolve(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
}

function isCode(code: string) {
  return (e: unknown) => e instanceof KycError && e.code === code;
}

describe('compact ES256 JWS', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });

  it('signs and verifies, returning header, payload and a stable id', async () => {
    const token = await signJws({ typ: TYP.consent, kid: 'k1' }, { hello: 'wörld' }, signerFor(privateKey));
    const jws = verifyJws(token, TYP.consent, publicKey);
    assert.deepEqual(jws.payload, { hello: 'wörld' });
    assert.equal(jws.header.alg, 'ES256');
    assert.equal(jws.header.kid, 'k1');
    assert.match(jws.id, /^[A-Za-z0-9_-]{43}$/);
  });

  it('keeps the same id when the signature is re-encoded as (r, n - s)', async () => {
    const token = await signJws({ typ: TYP.consent }, { n: 1 }, signerFor(privateKey));
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    const r = sig.subarray(0, 32);
    const sValue = BigInt('0x' + sig.subarray(32).toString('hex'));
    const flipped = Buffer.from((P256_ORDER - sValue).toString(16).padStart(64, '0'), 'hex');
    const malleated = `${h}.${p}.${Buffer.concat([r, flipped]).toString('base64url')}`;
    assert.notEqual(malleated, token);
    assert.equal(verifyJws(malleated, TYP.consent, publicKey).id, verifyJws(token, TYP.consent, publicKey).id);
  });

  it('refuses a signature by another key with KYC_BAD_SIGNATURE', async () => {
    const token = await signJws({ typ: TYP.consent }, { a: 1 }, signerFor(other.privateKey));
    assert.throws(() => verifyJws(token, TYP.consent, publicKey), isCode('KYC_BAD_SIGNATURE'));
  });

  it('refuses a token signed for another purpose (typ) with KYC_INVALID_ARGUMENT', async () => {
    const token = await signJws({ typ: TYP.certificationRequest }, { a: 1 }, signerFor(privateKey));
    assert.throws(() => verifyJws(token, TYP.consent, publicKey), isCode('KYC_INVALID_ARGUMENT'));
  });

  it('refuses alg none, unsupported header parameters and malformed tokens', async () => {
    const payload = Buffer.from('{"a":1}').toString('base64url');
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: TYP.consent })).toString('base64url');
    assert.throws(() => decodeJws(`${none}.${payload}.`, TYP.consent), isCode('KYC_INVALID_ARGUMENT'));
    const crit = await signJws({ typ: TYP.consent, crit: ['b64'] } as never, { a: 1 }, signerFor(privateKey));
    assert.throws(() => decodeJws(crit, TYP.consent), isCode('KYC_INVALID_ARGUMENT'));
    for (const bad of ['', 'a.b', 'a.b.c.d', 'x'.repeat(20000), 42, null, '!!.??.**']) {
      assert.throws(() => decodeJws(bad, TYP.consent), isCode('KYC_INVALID_ARGUMENT'));
    }
  });

  it('refuses a tampered payload with KYC_BAD_SIGNATURE', async () => {
    const token = await signJws({ typ: TYP.consent }, { amount: 1 }, signerFor(privateKey));
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from('{"amount":1000}').toString('base64url')}.${s}`;
    assert.throws(() => verifyJws(forged, TYP.consent, publicKey), isCode('KYC_BAD_SIGNATURE'));
  });
});
