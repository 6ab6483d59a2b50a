import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import fc from 'fast-check';
import {
  claimsHash as nodeClaimsHash,
  createDisclosure,
  didKeyFromPublicKey,
  disclosuresHash as nodeDisclosuresHash,
  publicKeyFromDidKey,
  verifyJws,
} from '../../../protocol/src';
import { decodeB64u, encodeB64u } from '../../../web/app/lib/b64';
import { claimsHash, didKeyOf, disclosuresHash, parseDisclosure, signJws } from '../../../web/app/lib/proto';
import { createPublicKey } from 'node:crypto';

/** The browser wallet's protocol code produces the same bytes as protocol/src, which the services check. */

describe('web wallet: protocol on WebCrypto matches protocol/src', () => {
  it('base64url: same encoding as Node, strict decoding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64url');
        assert.equal(encodeB64u(bytes), text);
        assert.deepEqual(decodeB64u(text), new Uint8Array(bytes));
      }),
    );
    for (const bad of ['a', 'ab=', 'a+b', 'AB', 'A$']) assert.equal(decodeB64u(bad), undefined, bad);
  });

  it('claims_hash, disclosures and disclosures_hash', async () => {
    const claims = { given_name: 'Zoë', family_name: 'Müller', birth_date: '1990-04-01', nationality: 'DE' };
    const salt = 'sV4Pq2cT0uYJx8mBnL3aRw';
    assert.equal(await claimsHash(claims, salt), nodeClaimsHash(claims, salt));
    const disclosures = Object.entries(claims).map(([n, v]) => createDisclosure(salt, n, v));
    for (const d of disclosures) {
      assert.deepEqual(parseDisclosure(d.disclosure), { disclosure: d.disclosure, salt, name: d.name, value: d.value });
    }
    const texts = disclosures.map((d) => d.disclosure);
    assert.equal(await disclosuresHash(texts), nodeDisclosuresHash(texts));
    assert.throws(() => parseDisclosure('W10'), /disclosure/);
  });

  it('did:key of a WebCrypto key and JWS signed with it verify in protocol/src', async () => {
    const pair = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const did = await didKeyOf(pair.publicKey);
    const spki = Buffer.from(await webcrypto.subtle.exportKey('spki', pair.publicKey));
    assert.equal(did, didKeyFromPublicKey(createPublicKey({ key: spki, format: 'der', type: 'spki' })));
    const jws = await signJws({ typ: 'kyc-consent+jwt' }, { sub: did }, pair.privateKey);
    assert.equal(verifyJws(jws, 'kyc-consent+jwt', publicKeyFromDidKey(did)).payload.sub, did);
    await assert.rejects(webcrypto.subtle.exportKey('pkcs8', pair.privateKey), /not extractable/);
  });
});
