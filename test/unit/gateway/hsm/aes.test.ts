import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openHsm, type Hsm, type HsmToken } from '../../../../gateway/src/hsm';
import { softHsm } from '../../../support/softhsm';

async function rejectsWithCode(promise: Promise<unknown>, code: string, returnValue?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { code?: string }).code, code, String(error));
    if (returnValue !== undefined) assert.equal((error as { returnValue?: string }).returnValue, returnValue);
    return true;
  });
}

describe('gateway/hsm/aes: AES-256 key-encryption keys in SoftHSM', () => {
  const fixture = softHsm();
  const spec = fixture.token('store');
  let hsm: Hsm;
  let token: HsmToken;

  before(async () => {
    hsm = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
    token = await hsm.openToken({ label: spec.label, pin: spec.pin });
  });

  after(async () => {
    await hsm.close();
  });

  it('generates a token key that is sensitive, never extractable, and can encrypt/decrypt but not wrap', async () => {
    const id = await token.generateAesKey('aes-test-attrs');
    const info = await token.findAesKey(id);
    assert.deepEqual(info, {
      id,
      label: 'aes-test-attrs',
      length: 32,
      sensitive: true,
      extractable: false,
      alwaysSensitive: true,
      neverExtractable: true,
      canEncrypt: true,
      canDecrypt: true,
      canWrap: false,
      onToken: true,
    });
    assert.ok((await token.listAesKeys()).some((k) => k.id === id));
    // Another process (pkcs11-tool) sees the same attributes and cannot read the value.
    const run = spawnSync(
      'pkcs11-tool',
      [
        '--module',
        fixture.library,
        '--token-label',
        spec.label,
        '--login',
        '--pin',
        spec.pin,
        '--list-objects',
        '--type',
        'secrkey',
        '--id',
        id,
      ],
      { env: { ...process.env, SOFTHSM2_CONF: fixture.conf }, encoding: 'utf8' },
    );
    const listing = run.stdout;
    assert.match(run.stderr, /C_GetAttributeValue\(VALUE\) failed: rv = CKR_ATTRIBUTE_SENSITIVE/);
    assert.match(listing, /AES length 32/);
    assert.match(listing, /Access:\s+.*sensitive.*never extractable/);
    assert.doesNotMatch(listing, /\bwrap\b/);
  });

  it('encrypts and decrypts with AES-GCM: a fresh IV each time, associated data bound', async () => {
    const id = await token.generateAesKey('aes-test-gcm');
    const plaintext = randomBytes(32);
    const aad = Buffer.from('table|id');
    const a = await token.encryptAesGcm(id, plaintext, aad);
    const b = await token.encryptAesGcm(id, plaintext, aad);
    assert.equal(a.iv.length, 12);
    assert.equal(a.ciphertext.length, 48);
    assert.notDeepEqual(a.iv, b.iv);
    assert.notDeepEqual(a.ciphertext, b.ciphertext);
    assert.deepEqual(await token.decryptAesGcm(id, a, aad), plaintext);
    await rejectsWithCode(
      token.decryptAesGcm(id, a, Buffer.from('other|id')),
      'HSM_OPERATION_FAILED',
      'CKR_GENERAL_ERROR',
    );
    const altered = Buffer.from(a.ciphertext);
    altered[3] = (altered[3] ?? 0) ^ 1;
    await rejectsWithCode(token.decryptAesGcm(id, { iv: a.iv, ciphertext: altered }, aad), 'HSM_OPERATION_FAILED');
    // The session that saw the failure is still good.
    assert.deepEqual(await token.decryptAesGcm(id, b, aad), plaintext);
  });

  it('runs 400 concurrent operations through the session pool', async () => {
    const id = await token.generateAesKey('aes-test-load');
    const aad = Buffer.from('load');
    const inputs = Array.from({ length: 200 }, () => randomBytes(32));
    const sealed = await Promise.all(inputs.map((p) => token.encryptAesGcm(id, p, aad)));
    const opened = await Promise.all(sealed.map((s) => token.decryptAesGcm(id, s, aad)));
    opened.forEach((p, i) => {
      assert.deepEqual(p, inputs[i]);
    });
  });

  it('refuses malformed arguments before anything reaches the token', async () => {
    const id = await token.generateAesKey('aes-test-args');
    await rejectsWithCode(token.encryptAesGcm('not-an-id', randomBytes(32), Buffer.alloc(0)), 'HSM_INVALID_ARGUMENT');
    await rejectsWithCode(token.encryptAesGcm(id, Buffer.alloc(0), Buffer.alloc(0)), 'HSM_INVALID_ARGUMENT');
    await rejectsWithCode(token.encryptAesGcm(id, Buffer.alloc(5000), Buffer.alloc(0)), 'HSM_INVALID_ARGUMENT');
    await rejectsWithCode(
      token.decryptAesGcm(id, { iv: Buffer.alloc(12), ciphertext: Buffer.alloc(8) }, Buffer.alloc(0)),
      'HSM_INVALID_ARGUMENT',
    );
    await rejectsWithCode(
      token.decryptAesGcm(id, { iv: Buffer.alloc(8), ciphertext: Buffer.alloc(48) }, Buffer.alloc(0)),
      'HSM_INVALID_ARGUMENT',
    );
    await rejectsWithCode(token.generateAesKey(''), 'HSM_INVALID_ARGUMENT');
  });

  it('destroys a key: later use gives HSM_KEY_NOT_FOUND, also through the cached handle', async () => {
    const id = await token.generateAesKey('aes-test-destroy');
    const sealed = await token.encryptAesGcm(id, randomBytes(32), Buffer.alloc(0));
    await token.destroyAesKey(id);
    assert.equal(await token.findAesKey(id), undefined);
    await rejectsWithCode(token.decryptAesGcm(id, sealed, Buffer.alloc(0)), 'HSM_KEY_NOT_FOUND');
    await rejectsWithCode(token.destroyAesKey(id), 'HSM_KEY_NOT_FOUND');
    await rejectsWithCode(token.findAesKey('zz'), 'HSM_INVALID_ARGUMENT');
  });
});
