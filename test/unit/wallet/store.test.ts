import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { claimsHash } from '../../../protocol/src';
import { openWalletStore, personKeyFromPrivateKey, STORE_FILE } from '../../../wallet/src';
import { CLAIMS, isCode, issueCredential, tempDir } from './helpers';

describe('wallet store', () => {
  const key = personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => {
    tmp.dispose();
  });

  const pending = {
    id: 'req-1',
    certifierUrl: 'http://127.0.0.1:8080',
    certifier: 'CertifierMSP',
    kind: 'identity',
    personId: '',
    claimsHash: claimsHash(CLAIMS, 'c2FsdHNhbHRzYWx0c2FsdA'),
    claimsSalt: 'c2FsdHNhbHRzYWx0c2FsdA',
    requestedAt: '2026-03-01T12:00:00.000Z',
  };

  it('starts empty, then round-trips credentials and pending requests through a 0600 file', async () => {
    const store = await openWalletStore(tmp.dir);
    assert.deepEqual(store.credentials(), []);
    const credential = issueCredential(key);
    await store.addCredential(credential);
    await store.addPending({ ...pending, personId: key.did });
    assert.equal(statSync(join(tmp.dir, STORE_FILE)).mode & 0o777, 0o600);
    const reopened = await openWalletStore(tmp.dir);
    assert.deepEqual(reopened.credentials(), [credential]);
    assert.deepEqual(reopened.pending(), [{ ...pending, personId: key.did }]);
    await reopened.removePending('req-1');
    assert.deepEqual((await openWalletStore(tmp.dir)).pending(), []);
  });

  it('replaces a credential with a newer version and refuses an older or equal one', async () => {
    const store = await openWalletStore(tmp.dir);
    await store.addCredential(issueCredential(key, CLAIMS, { version: 2 }));
    await assert.rejects(store.addCredential(issueCredential(key, CLAIMS, { version: 2 })), isCode('KYC_CONFLICT'));
    await assert.rejects(store.addCredential(issueCredential(key, CLAIMS, { version: 1 })), isCode('KYC_CONFLICT'));
    await store.addCredential(issueCredential(key, CLAIMS, { version: 3 }));
    await store.addCredential(issueCredential(key, { address: 'x' }, { kind: 'address' }));
    assert.deepEqual(
      store.credentials().map((c) => `${c.record.kind} v${c.record.version}`),
      ['identity v3', 'address v1'],
    );
  });

  it('refuses a duplicate pending id and malformed entries without writing', async () => {
    const store = await openWalletStore(tmp.dir);
    await store.addPending({ ...pending, personId: key.did });
    await assert.rejects(store.addPending({ ...pending, personId: key.did }), isCode('KYC_CONFLICT'));
    await assert.rejects(store.addPending({ ...pending, id: 'x', personId: 'nope' }), isCode('KYC_INVALID_ARGUMENT'));
    await assert.rejects(
      store.addCredential({ ...issueCredential(key), disclosures: ['junk'] }),
      isCode('KYC_INVALID_ARGUMENT'),
    );
    assert.equal((await openWalletStore(tmp.dir)).pending().length, 1);
  });

  it('picks the best current credential holding every claim asked for', async () => {
    const store = await openWalletStore(tmp.dir);
    const now = new Date('2026-06-01T00:00:00Z');
    await store.addCredential(issueCredential(key, CLAIMS, { certifier: 'LowMSP', level: 1 }));
    await store.addCredential(
      issueCredential(key, CLAIMS, { certifier: 'HighMSP', level: 3, validUntil: '2026-12-31T00:00:00Z' }),
    );
    await store.addCredential(
      issueCredential(key, CLAIMS, { certifier: 'OldMSP', level: 3, validUntil: '2026-01-01T00:00:00Z' }),
    );
    await store.addCredential(issueCredential(key, { email: 'x@example.com' }, { kind: 'contact', level: 3 }));
    assert.equal(store.pick(['given_name', 'birth_date'], { now }).record.certifier, 'HighMSP');
    assert.equal(store.pick(['email'], { now }).record.kind, 'contact');
    assert.throws(() => store.pick(['given_name', 'email'], { now }), isCode('KYC_NOT_FOUND'));
    assert.throws(() => store.pick(['given_name'], { now: new Date('2100-01-01T00:00:00Z') }), isCode('KYC_EXPIRED'));
    assert.equal(store.pick(['given_name'], { now: new Date('2027-06-01T00:00:00Z') }).record.certifier, 'LowMSP');
    const lowOnly = await openWalletStore(tempDirFor(tmp.dir, 'low'));
    await lowOnly.addCredential(issueCredential(key, CLAIMS, { level: 1 }));
    assert.throws(() => lowOnly.pick(['given_name'], { now, minLevel: 2 }), isCode('KYC_UNTRUSTED'));
  });

  it('refuses to open a store whose disclosures no longer parse, and leaves the file alone', async () => {
    const store = await openWalletStore(tmp.dir);
    await store.addCredential(issueCredential(key));
    const path = join(tmp.dir, STORE_FILE);
    const file = JSON.parse(readFileSync(path, 'utf8'));
    // A salt of 5 characters: below the 128 bits the protocol requires, so this disclosure no longer parses.
    file.credentials[0].disclosures[1] = Buffer.from(JSON.stringify(['short', 'family_name', 'x'])).toString(
      'base64url',
    );
    const corrupted = JSON.stringify(file);
    writeFileSync(path, corrupted);
    await assert.rejects(openWalletStore(tmp.dir), (error: unknown) => {
      assert.ok(isCode('KYC_INVALID_ARGUMENT')(error));
      assert.match((error as Error).message, /credential 0/);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), corrupted);
  });

  it('refuses files that are not wallet stores', async () => {
    const path = join(tmp.dir, STORE_FILE);
    for (const content of ['not json', '[]', '{"format":"other","credentials":[],"pending":[]}']) {
      writeFileSync(path, content);
      await assert.rejects(openWalletStore(tmp.dir), isCode('KYC_INVALID_ARGUMENT'));
    }
  });
});

function tempDirFor(base: string, name: string): string {
  return join(base, name);
}
