import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHsm, type Hsm, type HsmToken } from '../../../gateway/src/hsm';
import { isStoreError, openStore, type KycStore, type StoreEncryptionOptions } from '../../../store/src';
import { toPgPlaceholders } from '../../../store/src/postgres';
import { postgres, stopPostgres } from '../../support/postgres';
import { softHsm } from '../../support/softhsm';

after(stopPostgres);

/** A database as the store sees it, plus raw access around the store (what an attacker with the files has). */
interface Backend {
  readonly name: 'sqlite' | 'postgres';
  open(encrypted: boolean): Promise<KycStore>;
  raw(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Every file the database wrote (SQLite: the file, WAL and shm; PostgreSQL: the whole data directory). */
  files(): Promise<string[]>;
  close(): Promise<void>;
}

let hsm: Hsm | undefined;
async function encryption(): Promise<StoreEncryptionOptions> {
  const fixture = softHsm();
  hsm ??= await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
  const { label, pin } = fixture.token('store');
  return { hsm, tokenLabel: label, pin };
}
async function kekToken(): Promise<HsmToken> {
  const { hsm: library, tokenLabel, pin } = await encryption();
  return library.openToken({ label: tokenLabel, pin });
}
after(async () => {
  await hsm?.close();
  hsm = undefined;
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : entry.isFile() ? [path] : [];
  });
}

function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), 'kyc-store-enc-'));
  const path = join(dir, 'state.sqlite');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3');
  let db:
    | {
        prepare(sql: string): { reader: boolean; all(...p: unknown[]): unknown[]; run(...p: unknown[]): unknown };
        close(): void;
      }
    | undefined;
  return Promise.resolve({
    name: 'sqlite',
    open: async (encrypted) =>
      openStore({ database: { backend: 'sqlite', path }, encryption: encrypted ? await encryption() : undefined }),
    raw: (sql, params = []) => {
      db ??= new Database(path);
      const statement = db!.prepare(sql);
      if (statement.reader) return Promise.resolve(statement.all(...params) as Record<string, unknown>[]);
      statement.run(...params);
      return Promise.resolve([]);
    },
    files: () => Promise.resolve(walk(dir)),
    close: () => {
      db?.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
}

async function postgresBackend(): Promise<Backend> {
  const fixture = await postgres();
  const url = await fixture.freshSchema();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    name: 'postgres',
    open: async (encrypted) =>
      openStore({
        database: { backend: 'postgres', connectionString: url },
        encryption: encrypted ? await encryption() : undefined,
      }),
    raw: async (sql, params = []) =>
      (await client.query(toPgPlaceholders(sql), params)).rows as Record<string, unknown>[],
    files: async () => {
      // Everything on disk: WAL and, after a checkpoint, the heap and index files.
      await fixture.admin('CHECKPOINT');
      return walk(fixture.dataDir);
    },
    close: () => client.end(),
  };
}

async function rejectsWithReason(promise: Promise<unknown>, reason: string, code?: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStoreError(error), String(error));
    assert.equal(error.reason, reason, error.message);
    if (code !== undefined) assert.equal(error.code, code);
    return true;
  });
}

/** `value` as raw bytes, base64 and base64url, at every alignment inside a longer encoded string. */
function encodings(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  const found = [bytes];
  for (let shift = 0; shift < 3; shift++) {
    const padded = Buffer.concat([Buffer.alloc(shift, 0x41), bytes]);
    for (const encoding of ['base64', 'base64url'] as const) {
      // Drop the characters that depend on neighbouring bytes.
      const text = padded.toString(encoding).replace(/=+$/, '');
      const start = Math.ceil((shift * 4) / 3);
      found.push(Buffer.from(text.slice(start, text.length - 3), 'latin1'));
    }
  }
  return found;
}

function leaks(files: readonly string[], secrets: readonly string[]): string[] {
  const contents = files.map((file) => ({ file, data: readFileSync(file) }));
  const hits: string[] = [];
  for (const secret of secrets) {
    for (const needle of encodings(secret)) {
      for (const { file, data } of contents) {
        if (data.includes(needle)) hits.push(`${secret} (${needle.toString('latin1')}) in ${file}`);
      }
    }
  }
  return hits;
}

const person = (): string => `did:key:z${randomBytes(8).toString('hex')}`;

/** The writes the services will make, with distinctive personal values; returns those values. */
async function fullFlow(store: KycStore): Promise<string[]> {
  const given = `Zelphine${randomBytes(6).toString('hex')}`;
  const family = `Quorvath${randomBytes(6).toString('hex')}`;
  const birthdate = `19${randomBytes(1)[0]! % 90}-0${1 + (randomBytes(1)[0]! % 9)}-2${randomBytes(1)[0]! % 8}`;
  const disclosure = Buffer.from(JSON.stringify([randomBytes(8).toString('hex'), 'given_name', given])).toString(
    'base64url',
  );
  const verifiedAddress = `${randomBytes(3).toString('hex')} Xyloquist Street`;
  const personId = person();
  await store.insert('nonces', { id: 'nonce-1', expiresAt: Date.now() + 60_000, data: {} });
  assert.ok(await store.consume('nonces', 'nonce-1'));
  for (let i = 0; i < 5; i++) {
    await store.insert('certifications', {
      id: `cert-${i}`,
      status: 'pending',
      personId,
      data: { kind: 'kyc.person.v1' },
      personal: { claims: { given_name: given, family_name: family, birthdate } },
    });
  }
  await store.transition('certifications', 'cert-0', {
    from: 'pending',
    to: 'approved',
    personal: { disclosures: [disclosure] },
  });
  await store.insert('registrations', { id: 'reg-1', status: 'pending', data: { claims: ['address'] } });
  await store.transition('registrations', 'reg-1', { from: 'pending', to: 'verifying' });
  await store.transition('registrations', 'reg-1', {
    from: 'verifying',
    to: 'verified',
    personal: { result: { address: verifiedAddress, given_name: given } },
  });
  await store.shredByPerson('certifications', personId);
  await store.insert('certifications', {
    id: 'cert-kept',
    status: 'pending',
    personId: person(),
    data: {},
    personal: { claims: { given_name: given, family_name: family } },
  });
  return [given, family, birthdate, disclosure, verifiedAddress];
}

for (const make of [sqliteBackend, postgresBackend]) {
  describe(`store: envelope encryption under a SoftHSM KEK (${make.name === 'sqliteBackend' ? 'SQLite' : 'PostgreSQL'})`, function () {
    this.timeout(60_000);
    let backend: Backend;
    let store: KycStore;
    const stores: KycStore[] = [];
    const open = async (encrypted = true): Promise<KycStore> => {
      const opened = await backend.open(encrypted);
      stores.push(opened);
      return opened;
    };

    beforeEach(async () => {
      backend = await make();
      store = await open();
    });

    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()));
      await backend.close();
    });

    async function seed(): Promise<void> {
      for (const id of ['c1', 'c2']) {
        await store.insert('certifications', {
          id,
          status: 'pending',
          data: {},
          personal: { claims: { given_name: `name-${id}` }, disclosures: [`disclosure-${id}`] },
        });
      }
    }

    it('stores personal fields only as ciphertext, with the KEK id and a 60-byte wrapped DEK', async () => {
      await seed();
      const [row] = await backend.raw('SELECT sealed, kek_id, dek FROM certifications WHERE id = ?', ['c1']);
      assert.ok(row !== undefined);
      assert.doesNotMatch(String(row.sealed), /name-c1|disclosure-c1/);
      assert.deepEqual(Object.keys(JSON.parse(String(row.sealed))).sort(), ['claims', 'disclosures']);
      assert.match(String(row.kek_id), /^[0-9a-f]{64}$/);
      assert.equal((row.dek as Buffer).length, 12 + 32 + 16);
      assert.deepEqual((await store.get('certifications', 'c1'))?.personal, {
        claims: { given_name: 'name-c1' },
        disclosures: ['disclosure-c1'],
      });
    });

    it('the KEK was generated in the token: sensitive, never extractable, encrypt/decrypt only', async () => {
      await seed();
      const [kekId] = Object.keys(await store.dataKeysByKek());
      const token = await kekToken();
      try {
        const info = await token.findAesKey(kekId!);
        assert.ok(info !== undefined);
        assert.equal(info.label, 'kyc-store-kek');
        assert.deepEqual(
          [info.onToken, info.sensitive, info.alwaysSensitive, info.extractable, info.neverExtractable, info.canWrap],
          [true, true, true, false, true, false],
        );
      } finally {
        await token.close();
      }
    });

    it('refuses a ciphertext moved to another record (whole envelope, or fields only) with STORE_TAMPERED', async () => {
      await seed();
      const [c1] = await backend.raw('SELECT sealed, kek_id, dek FROM certifications WHERE id = ?', ['c1']);
      await backend.raw('UPDATE certifications SET sealed = ?, kek_id = ?, dek = ? WHERE id = ?', [
        c1!.sealed,
        c1!.kek_id,
        c1!.dek,
        'c2',
      ]);
      await rejectsWithReason(store.get('certifications', 'c2'), 'STORE_TAMPERED', 'KYC_INTERNAL');
      await store.insert('certifications', { id: 'c3', status: 'pending', data: {}, personal: { claims: { x: 'y' } } });
      await backend.raw('UPDATE certifications SET sealed = ? WHERE id = ?', [c1!.sealed, 'c3']);
      await rejectsWithReason(store.get('certifications', 'c3'), 'STORE_TAMPERED');
      // The same table's listing fails too, rather than skipping the record silently.
      await rejectsWithReason(store.listByStatus('certifications', 'pending', 10), 'STORE_TAMPERED');
      assert.deepEqual((await store.get('certifications', 'c1'))?.personal?.claims, { given_name: 'name-c1' });
    });

    it('refuses fields swapped inside one record, altered ciphertext, an altered wrapped DEK, and plaintext', async () => {
      await seed();
      const [row] = await backend.raw('SELECT sealed, dek FROM certifications WHERE id = ?', ['c1']);
      const sealed = JSON.parse(String(row!.sealed)) as Record<string, string>;
      const swapped = JSON.stringify({ claims: sealed.disclosures, disclosures: sealed.claims });
      await backend.raw('UPDATE certifications SET sealed = ? WHERE id = ?', [swapped, 'c1']);
      await rejectsWithReason(store.get('certifications', 'c1'), 'STORE_TAMPERED');

      const claims = sealed.claims!;
      const flipped = `${claims.slice(0, -2)}${claims.at(-2) === 'A' ? 'B' : 'A'}${claims.at(-1)}`;
      await backend.raw('UPDATE certifications SET sealed = ? WHERE id = ?', [
        JSON.stringify({ ...sealed, claims: flipped }),
        'c1',
      ]);
      await rejectsWithReason(store.get('certifications', 'c1'), 'STORE_TAMPERED');

      await backend.raw('UPDATE certifications SET sealed = ? WHERE id = ?', [row!.sealed, 'c1']);
      assert.ok(await store.get('certifications', 'c1'));
      const dek = Buffer.from(row!.dek as Buffer);
      dek[20] = (dek[20] ?? 0) ^ 0x01;
      await backend.raw('UPDATE certifications SET dek = ? WHERE id = ?', [dek, 'c1']);
      await rejectsWithReason(store.get('certifications', 'c1'), 'STORE_TAMPERED');
      await backend.raw('UPDATE certifications SET dek = ? WHERE id = ?', [Buffer.alloc(10), 'c1']);
      await rejectsWithReason(store.get('certifications', 'c1'), 'STORE_TAMPERED');

      await backend.raw('UPDATE certifications SET sealed = ?, kek_id = NULL, dek = NULL WHERE id = ?', [
        '{"claims":{"a":"b"}}',
        'c2',
      ]);
      await rejectsWithReason(store.get('certifications', 'c2'), 'STORE_TAMPERED');
    });

    it('rotation re-wraps every DEK in resumable batches without re-encrypting data; the old KEK can go', async () => {
      for (let i = 0; i < 23; i++) {
        await store.insert(i % 2 === 0 ? 'certifications' : 'registrations', {
          id: `r${i}`,
          status: 'pending',
          data: {},
          personal: { claims: { n: `value-${i}` } },
        });
      }
      await store.insert('officers', { id: 'no-personal', data: {} });
      const before = await backend.raw('SELECT id, sealed FROM certifications ORDER BY id');
      const [oldKek] = Object.keys(await store.dataKeysByKek());

      const first = await store.rotateKek({ batchSize: 10 });
      assert.equal(first.rewrapped, 10);
      assert.equal(first.complete, false);
      assert.notEqual(first.kekId, oldKek);
      // New records use the new KEK at once.
      await store.insert('certifications', {
        id: 'during',
        status: 'pending',
        data: {},
        personal: { claims: { n: 'during' } },
      });
      // A restart in the middle: a new instance continues the same rotation.
      await store.close();
      store = await open();
      const second = await store.rotateKek({ batchSize: 10 });
      assert.equal(second.kekId, first.kekId);
      assert.equal(second.rewrapped, 10);
      const third = await store.rotateKek({ batchSize: 10 });
      assert.deepEqual([third.rewrapped, third.complete, third.retired], [3, true, [oldKek]]);
      assert.deepEqual(await store.dataKeysByKek(), { [first.kekId]: 24 });

      // Only the DEKs changed: every record's ciphertext is byte for byte what it was.
      const after = await backend.raw(`SELECT id, sealed FROM certifications WHERE id <> 'during' ORDER BY id`);
      assert.deepEqual(after, before);

      assert.deepEqual(await store.destroyRetiredKeks(), [oldKek]);
      const token = await kekToken();
      try {
        assert.equal(await token.findAesKey(oldKek!), undefined);
      } finally {
        await token.close();
      }
      for (let i = 0; i < 23; i++) {
        const table = i % 2 === 0 ? 'certifications' : 'registrations';
        assert.deepEqual((await store.get(table, `r${i}`))?.personal, { claims: { n: `value-${i}` } });
      }
      // The next call starts a new rotation.
      const next = await store.rotateKek();
      assert.notEqual(next.kekId, first.kekId);
      assert.equal(next.complete, true);
    });

    it('crypto-shredding: a shredded record is unreadable, and a backup of it dies with its KEK', async () => {
      const personId = person();
      await store.insert('registrations', {
        id: 'reg',
        status: 'verified',
        personId,
        data: {},
        personal: { result: { given_name: 'Backed-up' } },
      });
      const [backup] = await backend.raw('SELECT sealed, kek_id, dek FROM registrations WHERE id = ?', ['reg']);
      assert.equal(await store.shredByPerson('registrations', personId), 1);
      const [shredded] = await backend.raw('SELECT sealed, kek_id, dek, person_id FROM registrations WHERE id = ?', [
        'reg',
      ]);
      assert.deepEqual(shredded, { sealed: null, kek_id: null, dek: null, person_id: null });
      assert.equal((await store.get('registrations', 'reg'))?.personal, undefined);

      // Restoring the backup works only while the KEK it was wrapped under exists.
      const restore = () =>
        backend.raw('UPDATE registrations SET sealed = ?, kek_id = ?, dek = ? WHERE id = ?', [
          backup!.sealed,
          backup!.kek_id,
          backup!.dek,
          'reg',
        ]);
      await restore();
      assert.deepEqual((await store.get('registrations', 'reg'))?.personal, { result: { given_name: 'Backed-up' } });
      await store.shredByPerson('registrations', personId);
      await backend.raw('UPDATE registrations SET sealed = NULL, kek_id = NULL, dek = NULL WHERE id = ?', ['reg']);
      for (let r = await store.rotateKek(); !r.complete; r = await store.rotateKek()) {
        // until every live DEK is under the new KEK
      }
      await store.destroyRetiredKeks();
      await restore();
      await rejectsWithReason(store.get('registrations', 'reg'), 'STORE_KEY_MISSING');
    });

    it('after a full flow of writes, no file of the database holds a personal value (raw, base64, base64url)', async () => {
      const secrets = await fullFlow(store);
      // While open (SQLite: the WAL holds the latest pages), and again after close (checkpointed into the file).
      const open = await backend.files();
      if (backend.name === 'sqlite') assert.ok(open.some((f) => f.endsWith('-wal')));
      assert.deepEqual(leaks(open, secrets), []);
      await store.close();
      assert.deepEqual(leaks(await backend.files(), secrets), []);
    });

    it('(control) the same scan finds the values when the store does not encrypt', async () => {
      const plain = await open(false);
      const secrets = await fullFlow(plain);
      await plain.close();
      const hits = leaks(await backend.files(), secrets.slice(0, 1));
      assert.ok(hits.length > 0, 'the scanner found nothing in a plaintext store');
    });

    it('an encrypted record opened without the HSM key is refused, not returned as garbage', async () => {
      await seed();
      const plain = await open(false);
      await rejectsWithReason(plain.get('certifications', 'c1'), 'STORE_HSM_UNAVAILABLE', 'KYC_UNAVAILABLE');
      // Nor may it merge plaintext fields into the encrypted record.
      await rejectsWithReason(
        plain.transition('certifications', 'c1', { from: 'pending', to: 'approved', personal: { disclosures: ['x'] } }),
        'STORE_HSM_UNAVAILABLE',
      );
      assert.equal((await store.get('certifications', 'c1'))?.status, 'pending');
    });
  });
}

describe('store: SQLite file modes after writes', () => {
  it('keeps the database, WAL and shm files 0600', async () => {
    const backend = await sqliteBackend();
    const store = await backend.open(true);
    try {
      await fullFlow(store);
      for (const file of await backend.files()) assert.equal(statSync(file).mode & 0o777, 0o600, file);
    } finally {
      await store.close();
      await backend.close();
    }
  });
});
