import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync, createPrivateKey } from 'node:crypto';
import { isP256DidKeyShape, publicKeyFromDidKey, signJws, TYP, verifyJws } from '../../../protocol/src';
import { createPersonKey, KEY_FILE, loadPersonKey, personKeyFromPrivateKey } from '../../../wallet/src';
import { isCode, tempDir } from './helpers';

describe('wallet keys', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    tmp.dispose();
  });

  it('creates a P-256 key as PKCS#8 PEM with mode 0600 in a 0700 directory, and loads it back', async () => {
    const dir = join(tmp.dir, 'w');
    const created = await createPersonKey(dir);
    assert.ok(isP256DidKeyShape(created.did));
    const path = join(dir, KEY_FILE);
    // PKCS#8 PEM, byte for byte as node:crypto writes it.
    const pem = readFileSync(path, 'utf8');
    assert.equal(createPrivateKey(pem).export({ format: 'pem', type: 'pkcs8' }), pem);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    const loaded = await loadPersonKey(dir);
    assert.equal(loaded.did, created.did);
  });

  it('signs ES256 that verifies under the key its did:key names', async () => {
    const key = await createPersonKey(tmp.dir);
    const jws = await signJws({ typ: TYP.consent }, { a: 1 }, key.sign);
    assert.deepEqual(verifyJws(jws, TYP.consent, publicKeyFromDidKey(key.did)).payload, { a: 1 });
  });

  it('never overwrites an existing key (KYC_CONFLICT)', async () => {
    const first = await createPersonKey(tmp.dir);
    await assert.rejects(createPersonKey(tmp.dir), isCode('KYC_CONFLICT'));
    assert.equal((await loadPersonKey(tmp.dir)).did, first.did);
  });

  it('reports a missing key as KYC_NOT_FOUND', async () => {
    await assert.rejects(loadPersonKey(tmp.dir), isCode('KYC_NOT_FOUND'));
  });

  it('refuses a key file others can read, and files that are not P-256 private keys', async () => {
    await createPersonKey(tmp.dir);
    const path = join(tmp.dir, KEY_FILE);
    chmodSync(path, 0o644);
    await assert.rejects(loadPersonKey(tmp.dir), isCode('KYC_INVALID_ARGUMENT'));
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'pem', type: 'pkcs8' });
    for (const content of ['garbage', p384 as string]) {
      writeFileSync(path, content, { mode: 0o600 });
      chmodSync(path, 0o600);
      await assert.rejects(loadPersonKey(tmp.dir), isCode('KYC_INVALID_ARGUMENT'));
    }
  });

  it('wraps only P-256 private keys', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.throws(() => personKeyFromPrivateKey(publicKey), isCode('KYC_INVALID_ARGUMENT'));
    const ed = generateKeyPairSync('ed25519').privateKey;
    assert.throws(() => personKeyFromPrivateKey(ed), isCode('KYC_INVALID_ARGUMENT'));
  });
});
