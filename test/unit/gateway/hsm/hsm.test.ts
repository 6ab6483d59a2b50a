import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, diffieHellman, generateKeyPairSync, verify } from 'node:crypto';
import { verifyJws, signJws } from '../../../../protocol/src';
import { isLowS, openHsm, ski, type Hsm, type HsmToken } from '../../../../gateway/src/hsm';
import { isLibraryOpen } from '../../../../gateway/src/hsm/library';
import { softHsm } from '../../../support/softhsm';

const sha256 = (data: string | Uint8Array): Buffer => createHash('sha256').update(data).digest();

/** Asserts that `promise` rejects with an HsmError carrying `code` (and `returnValue`, when given). */
async function rejectsWithCode(promise: Promise<unknown>, code: string, returnValue?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof Error);
    assert.equal((error as { name?: string }).name, 'HsmError');
    assert.equal((error as { code?: string }).code, code, error.message);
    if (returnValue !== undefined) {
      assert.equal((error as { returnValue?: string }).returnValue, returnValue);
    }
    return true;
  });
}

describe('gateway/hsm: the PKCS#11 module against SoftHSM', () => {
  const fixture = softHsm();
  const unit = fixture.token('hsm-main');
  let hsm: Hsm;
  let token: HsmToken;

  before(async () => {
    hsm = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
    token = await hsm.openToken({ label: unit.label, pin: unit.pin, poolSize: 4 });
  });

  after(async () => {
    await hsm.close();
  });

  describe('library lifecycle', () => {
    it('shares one initialisation between several opens of the same library', async () => {
      const second = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
      const other = await second.openToken({ label: unit.label, pin: unit.pin });
      const { ski: keyId } = await other.generateKeyPair({ usage: 'sign' });
      await second.close();
      // The first reference and its token keep working after the second is closed.
      assert.equal((await token.signDigest(keyId, sha256('still open'))).length, 64);
      assert.equal(isLibraryOpen(), true);
    });

    it('refuses a second library path with HSM_LIBRARY_CONFLICT', async () => {
      await rejectsWithCode(
        openHsm({ library: '/usr/lib/x86_64-linux-gnu/libother-pkcs11.so' }),
        'HSM_LIBRARY_CONFLICT',
      );
    });

    it('refuses another SoftHSM configuration while initialised', async () => {
      await rejectsWithCode(
        openHsm({ library: fixture.library, softhsm2Conf: '/tmp/elsewhere/softhsm2.conf' }),
        'HSM_LIBRARY_CONFLICT',
      );
    });

    it('rejects an empty library path', async () => {
      await rejectsWithCode(openHsm({ library: '' }), 'HSM_INVALID_ARGUMENT');
    });
  });

  describe('opening tokens', () => {
    it('gives HSM_TOKEN_NOT_FOUND for an unknown label', async () => {
      await rejectsWithCode(hsm.openToken({ label: 'no-such-token', pin: '1234' }), 'HSM_TOKEN_NOT_FOUND');
    });

    it('gives HSM_LOGIN_FAILED with CKR_PIN_INCORRECT for a wrong PIN, and stays usable', async () => {
      const spare = fixture.token('spare');
      await rejectsWithCode(
        hsm.openToken({ label: spare.label, pin: 'wrong-pin' }),
        'HSM_LOGIN_FAILED',
        'CKR_PIN_INCORRECT',
      );
      const opened = await hsm.openToken({ label: spare.label, pin: spare.pin });
      assert.deepEqual(await opened.listKeys(), []);
      await opened.close();
    });

    it('never puts the PIN into an error', async () => {
      const spare = fixture.token('spare');
      const pin = 'secret-pin-9f3a';
      const error = await hsm.openToken({ label: spare.label, pin }).catch((e: unknown) => e);
      assert.ok(error instanceof Error);
      assert.equal(JSON.stringify({ message: error.message, stack: error.stack }).includes(pin), false);
    });

    it('shares an open token only with openers that know its PIN', async () => {
      await rejectsWithCode(hsm.openToken({ label: unit.label, pin: `${unit.pin}x` }), 'HSM_LOGIN_FAILED');
      const again = await hsm.openToken({ label: unit.label, pin: unit.pin });
      assert.equal(again.label, unit.label);
      await again.close();
    });

    it('rejects malformed options with HSM_INVALID_ARGUMENT', async () => {
      const spare = fixture.token('spare');
      await rejectsWithCode(hsm.openToken({ label: spare.label, pin: '' }), 'HSM_INVALID_ARGUMENT');
      await rejectsWithCode(hsm.openToken({ label: spare.label, pin: spare.pin, poolSize: 0 }), 'HSM_INVALID_ARGUMENT');
      await rejectsWithCode(
        hsm.openToken({ label: spare.label, pin: spare.pin, poolSize: 1.5 }),
        'HSM_INVALID_ARGUMENT',
      );
    });

    it('initialises a new token through the module, visible at once', async () => {
      const label = `fresh-${process.pid}`;
      await hsm.initializeToken({ label, soPin: 'so-pin-1234', userPin: 'user-pin-1234' });
      assert.ok((await hsm.tokenLabels()).includes(label));
      const fresh = await hsm.openToken({ label, pin: 'user-pin-1234' });
      const { ski: keyId, publicKey } = await fresh.generateKeyPair({ usage: 'sign' });
      const signature = await fresh.es256(keyId)(Buffer.from('hello'));
      assert.equal(
        verify('sha256', Buffer.from('hello'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature),
        true,
      );
      await fresh.close();
      await rejectsWithCode(
        hsm.initializeToken({ label, soPin: 'so-pin-1234', userPin: 'user-pin-1234' }),
        'HSM_INVALID_ARGUMENT',
      );
    });
  });

  describe('key generation', () => {
    it('makes a P-256 signing key: sensitive, never extractable, sign only, CKA_ID = SKI on both halves', async () => {
      const { ski: keyId, publicKey } = await token.generateKeyPair({ usage: 'sign', label: 'officer-key' });
      assert.equal(keyId, ski(publicKey));
      assert.equal(publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
      const info = await token.findKey(keyId);
      assert.ok(info);
      assert.deepEqual(
        { ...info, publicKey: undefined },
        {
          ski: keyId,
          label: 'officer-key',
          canSign: true,
          canDerive: false,
          sensitive: true,
          extractable: false,
          alwaysSensitive: true,
          neverExtractable: true,
          publicKey: undefined,
        },
      );
      assert.ok(info.publicKey?.equals(publicKey));
      assert.ok((await token.publicKeyOf(keyId)).equals(publicKey));
    });

    it('is confirmed by pkcs11-tool in another process', async () => {
      const { ski: keyId } = await token.generateKeyPair({ usage: 'derive', label: 'checked-by-pkcs11-tool' });
      const listing = execFileSync(
        'pkcs11-tool',
        ['--module', fixture.library, '--token-label', unit.label, '--login', '--pin', unit.pin, '--list-objects'],
        { env: { ...process.env, SOFTHSM2_CONF: fixture.conf }, encoding: 'utf8' },
      );
      const block = listing
        .split(/\n(?=\S)/)
        .find((part) => part.startsWith('Private Key Object') && part.includes(keyId));
      assert.ok(block, `pkcs11-tool lists the private key ${keyId}`);
      assert.match(block, /label:\s+checked-by-pkcs11-tool/);
      assert.match(block, /Usage:\s+derive\s*$/m);
      assert.match(block, /Access:\s+sensitive, always sensitive, never extractable, local/);
      const publicBlock = listing
        .split(/\n(?=\S)/)
        .find((part) => part.startsWith('Public Key Object') && part.includes(keyId));
      assert.ok(publicBlock, 'the public half carries the same CKA_ID');
    });

    it('defaults the label to the SKI and lists the key', async () => {
      const { ski: keyId } = await token.generateKeyPair({ usage: 'sign' });
      const listed = (await token.listKeys()).find((key) => key.ski === keyId);
      assert.equal(listed?.label, keyId);
    });

    it('rejects a bad usage or label and creates nothing', async () => {
      const before = (await token.listKeys()).length;
      await rejectsWithCode(token.generateKeyPair({ usage: 'encrypt' as 'sign' }), 'HSM_INVALID_ARGUMENT');
      await rejectsWithCode(token.generateKeyPair({ usage: 'sign', label: '' }), 'HSM_INVALID_ARGUMENT');
      await rejectsWithCode(token.generateKeyPair({ usage: 'sign', label: 'x'.repeat(65) }), 'HSM_INVALID_ARGUMENT');
      assert.equal((await token.listKeys()).length, before);
    });

    it('destroys both halves of a key', async () => {
      const { ski: keyId } = await token.generateKeyPair({ usage: 'sign' });
      await token.destroyKey(keyId);
      assert.equal(await token.findKey(keyId), undefined);
      await rejectsWithCode(token.publicKeyOf(keyId), 'HSM_KEY_NOT_FOUND');
      await rejectsWithCode(token.signDigest(keyId, sha256('gone')), 'HSM_KEY_NOT_FOUND');
      await rejectsWithCode(token.destroyKey(keyId), 'HSM_KEY_NOT_FOUND');
    });
  });

  describe('signatures', () => {
    let signingSki: string;
    let signingPublicKey: ReturnType<typeof createPublicKey>;

    before(async () => {
      ({ ski: signingSki, publicKey: signingPublicKey } = await token.generateKeyPair({ usage: 'sign' }));
    });

    it('signs a digest as r || s that node:crypto verifies', async () => {
      const message = Buffer.from('transaction proposal bytes');
      const signature = await token.signDigest(signingSki, sha256(message));
      assert.equal(signature.length, 64);
      assert.equal(verify('sha256', message, { key: signingPublicKey, dsaEncoding: 'ieee-p1363' }, signature), true);
      assert.equal(
        verify('sha256', Buffer.from('other'), { key: signingPublicKey, dsaEncoding: 'ieee-p1363' }, signature),
        false,
      );
    });

    it('makes compact JWS that the protocol module verifies (es256)', async () => {
      const jws = await signJws({ typ: 'kyc-registration+jwt' }, { hello: 'world' }, token.es256(signingSki));
      assert.deepEqual(verifyJws(jws, 'kyc-registration+jwt', signingPublicKey).payload, { hello: 'world' });
    });

    it('gives Fabric DER signatures that are always low-S', async () => {
      const signer = token.fabricSigner(signingSki);
      for (let i = 0; i < 64; i += 1) {
        const message = Buffer.from(`proposal ${i}`);
        const der = Buffer.from(await signer(sha256(message)));
        assert.equal(der[0], 0x30, 'a DER SEQUENCE');
        assert.equal(der[1], der.length - 2, 'a definite short-form length covering the rest');
        assert.equal(verify('sha256', message, { key: signingPublicKey, dsaEncoding: 'der' }, der), true);
        const p1363 = derToP1363(der);
        assert.equal(isLowS(p1363), true);
      }
    });

    it('rejects a digest that is not 32 bytes, a malformed SKI and an unknown key', async () => {
      await rejectsWithCode(token.signDigest(signingSki, Buffer.alloc(31)), 'HSM_INVALID_ARGUMENT');
      await rejectsWithCode(token.signDigest(signingSki, 'abc' as unknown as Uint8Array), 'HSM_INVALID_ARGUMENT');
      await rejectsWithCode(token.signDigest('ABC', sha256('x')), 'HSM_INVALID_ARGUMENT');
      assert.throws(() => token.fabricSigner('not-a-ski'), { code: 'HSM_INVALID_ARGUMENT' });
      await rejectsWithCode(token.signDigest('0'.repeat(64), sha256('x')), 'HSM_KEY_NOT_FOUND');
      await rejectsWithCode(token.publicKeyOf('0'.repeat(64)), 'HSM_KEY_NOT_FOUND');
      assert.equal(await token.findKey('0'.repeat(64)), undefined);
    });

    it('will not sign with a derive-only key', async () => {
      const { ski: deriveSki } = await token.generateKeyPair({ usage: 'derive' });
      await rejectsWithCode(token.signDigest(deriveSki, sha256('x')), 'HSM_KEY_NOT_FOUND');
    });

    it('finds keys of another opener on the same token', async () => {
      const other = await hsm.openToken({ label: unit.label, pin: unit.pin });
      const signature = await other.signDigest(signingSki, sha256('shared'));
      assert.equal(
        verify('sha256', Buffer.from('shared'), { key: signingPublicKey, dsaEncoding: 'ieee-p1363' }, signature),
        true,
      );
      await other.close();
    });
  });

  describe('ECDH', () => {
    it('derives the same shared secret as node:crypto with the same peer key', async () => {
      const { ski: deriveSki, publicKey } = await token.generateKeyPair({ usage: 'derive' });
      for (let i = 0; i < 8; i += 1) {
        const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const inHsm = await token.deriveSharedSecret(deriveSki, peer.publicKey);
        const inSoftware = diffieHellman({ privateKey: peer.privateKey, publicKey });
        assert.equal(inHsm.length, 32);
        assert.deepEqual(inHsm, inSoftware);
      }
    });

    it('leaves no derived secret objects behind', async () => {
      const { ski: deriveSki } = await token.generateKeyPair({ usage: 'derive' });
      const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      await token.deriveSharedSecret(deriveSki, peer.publicKey);
      const listing = execFileSync(
        'pkcs11-tool',
        [
          '--module',
          fixture.library,
          '--token-label',
          unit.label,
          '--login',
          '--pin',
          unit.pin,
          '--list-objects',
          '--type',
          'secrkey',
        ],
        { env: { ...process.env, SOFTHSM2_CONF: fixture.conf }, encoding: 'utf8' },
      );
      assert.equal(listing.includes('Secret Key Object'), false);
    });

    it('rejects peer keys that are not P-256, and signing keys', async () => {
      const { ski: deriveSki } = await token.generateKeyPair({ usage: 'derive' });
      const { ski: signSki } = await token.generateKeyPair({ usage: 'sign' });
      const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
      const ed = generateKeyPairSync('ed25519').publicKey;
      const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      await rejectsWithCode(token.deriveSharedSecret(deriveSki, p384), 'HSM_INVALID_ARGUMENT');
      await rejectsWithCode(token.deriveSharedSecret(deriveSki, ed), 'HSM_INVALID_ARGUMENT');
      await rejectsWithCode(token.deriveSharedSecret(deriveSki, privateKey), 'HSM_INVALID_ARGUMENT');
      const peer = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
      await rejectsWithCode(token.deriveSharedSecret(signSki, peer), 'HSM_KEY_NOT_FOUND');
    });
  });

  describe('under load', () => {
    it('completes 1,000 concurrent signatures that all verify, never more busy sessions than the pool holds', async function () {
      this.timeout(120_000);
      const load = fixture.token('hsm-load');
      const loadToken = await hsm.openToken({ label: load.label, pin: load.pin, poolSize: 4 });
      try {
        const keys = await Promise.all([0, 1].map(() => loadToken.generateKeyPair({ usage: 'sign' })));
        const messages = Array.from({ length: 1000 }, (_, i) => Buffer.from(`message ${i}`));
        let maxBusy = 0;
        const started = process.hrtime.bigint();
        const signatures = await Promise.all(
          messages.map(async (message, i) => {
            const key = keys[i % 2]!;
            const signature = await (i % 3 === 0
              ? loadToken.fabricSigner(key.ski)(sha256(message))
              : loadToken.signDigest(key.ski, sha256(message)));
            maxBusy = Math.max(maxBusy, loadToken.stats().busy);
            return signature;
          }),
        );
        const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
        signatures.forEach((signature, i) => {
          const key = keys[i % 2]!;
          const encoding = i % 3 === 0 ? 'der' : 'ieee-p1363';
          assert.equal(verify('sha256', messages[i]!, { key: key.publicKey, dsaEncoding: encoding }, signature), true);
        });
        assert.ok(maxBusy <= 4);
        assert.deepEqual(loadToken.stats(), { size: 4, idle: 4, busy: 0, waiting: 0 });
        console.log(
          `      1,000 concurrent HSM signatures in ${elapsedMs.toFixed(0)} ms (${(1e6 / elapsedMs).toFixed(0)}/s)`,
        );
      } finally {
        await loadToken.close();
      }
    });
  });

  describe('after close', () => {
    it('fails operations of a closed token handle with HSM_CLOSED, without closing other handles', async () => {
      const extra = await hsm.openToken({ label: unit.label, pin: unit.pin });
      const { ski: keyId } = await extra.generateKeyPair({ usage: 'sign' });
      const signer = extra.es256(keyId);
      await extra.close();
      await extra.close();
      await rejectsWithCode(extra.signDigest(keyId, sha256('x')), 'HSM_CLOSED');
      await rejectsWithCode(signer(Buffer.from('x')), 'HSM_CLOSED');
      await rejectsWithCode(extra.listKeys(), 'HSM_CLOSED');
      assert.equal((await token.signDigest(keyId, sha256('x'))).length, 64);
    });

    it('lets operations in flight finish, then fails new ones, when the HSM reference closes', async () => {
      const own = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
      const spare = fixture.token('hsm-second');
      const spareToken = await own.openToken({ label: spare.label, pin: spare.pin, poolSize: 1 });
      const { ski: keyId } = await spareToken.generateKeyPair({ usage: 'sign' });
      const inFlight = Array.from({ length: 20 }, (_, i) => spareToken.signDigest(keyId, sha256(`in flight ${i}`)));
      const closing = own.close();
      const settled = await Promise.allSettled(inFlight);
      await closing;
      // The first operation holds the only session; those still queued when close() ran get HSM_CLOSED.
      assert.equal(settled[0]?.status, 'fulfilled');
      for (const result of settled) {
        if (result.status === 'rejected') {
          assert.equal((result.reason as { code?: string }).code, 'HSM_CLOSED');
        }
      }
      await rejectsWithCode(spareToken.signDigest(keyId, sha256('late')), 'HSM_CLOSED');
      await rejectsWithCode(own.openToken({ label: spare.label, pin: spare.pin }), 'HSM_CLOSED');
      assert.equal(isLibraryOpen(), true, 'the suite still holds its own reference');
    });
  });
});

/** DER ECDSA-Sig-Value → r || s, for checking low-S. */
function derToP1363(der: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 2;
  for (let i = 0; i < 2; i += 1) {
    assert.equal(der[offset], 0x02);
    const length = der[offset + 1]!;
    const value = der.subarray(offset + 2, offset + 2 + length);
    assert.ok(value.length === 1 || !(value[0] === 0 && (value[1]! & 0x80) === 0), 'minimal INTEGER encoding');
    parts.push(Buffer.concat([Buffer.alloc(32), value]).subarray(-32));
    offset += 2 + length;
  }
  assert.equal(offset, der.length);
  return Buffer.concat(parts);
}
