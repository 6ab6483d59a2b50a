import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHsm, type Hsm } from '../../../gateway/src/hsm';
import { openStore, type StoreEncryptionOptions } from '../../../store/src';
import { postgres, stopPostgres, type PostgresFixture } from '../../support/postgres';
import { softHsm } from '../../support/softhsm';
import { describeStoreContract, type StoreHarness } from './contract';

// The cluster is stopped and removed after the whole run, also when a test failed (and at process exit).
after(stopPostgres);

let hsm: Hsm | undefined;
async function encryption(): Promise<StoreEncryptionOptions> {
  const fixture = softHsm();
  hsm ??= await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
  const { label, pin } = fixture.token('store');
  return { hsm, tokenLabel: label, pin };
}
after(async () => {
  await hsm?.close();
  hsm = undefined;
});

function sqliteHarness(encrypted: boolean): StoreHarness {
  const dir = mkdtempSync(join(tmpdir(), 'kyc-store-'));
  process.once('exit', () => {
    rmSync(dir, { recursive: true, force: true });
  });
  let n = 0;
  let path = join(dir, 'state.sqlite');
  return {
    reset: () => {
      path = join(dir, `state-${++n}.sqlite`);
      return Promise.resolve();
    },
    open: async (migrations) =>
      openStore({
        database: { backend: 'sqlite', path },
        encryption: encrypted ? await encryption() : undefined,
        migrations,
      }),
  };
}

function postgresHarness(encrypted: boolean): StoreHarness {
  let url: string | undefined;
  return {
    reset: async () => {
      url = await (await postgres()).freshSchema();
    },
    open: async (migrations) => {
      assert.ok(url !== undefined);
      return openStore({
        database: { backend: 'postgres', connectionString: url },
        encryption: encrypted ? await encryption() : undefined,
        migrations,
      });
    },
  };
}

describe('store', function () {
  this.timeout(60_000);

  const sqlitePlain = sqliteHarness(false);
  const sqliteEncrypted = sqliteHarness(true);
  const pgEncrypted = postgresHarness(true);
  const pgPlain = postgresHarness(false);

  before(async () => {
    await postgres();
  });

  describeStoreContract('SQLite, plaintext', () => sqlitePlain);
  describeStoreContract('SQLite, encrypted under a SoftHSM KEK', () => sqliteEncrypted);
  describeStoreContract('PostgreSQL (project-local cluster), plaintext', () => pgPlain);
  describeStoreContract('PostgreSQL (project-local cluster), encrypted under a SoftHSM KEK', () => pgEncrypted);

  describe('SQLite file', () => {
    it('is in WAL mode, and the file, its WAL and its directory are owner-only', async () => {
      const parent = mkdtempSync(join(tmpdir(), 'kyc-store-mode-'));
      const dir = join(parent, 'service');
      const path = join(dir, 'state.sqlite');
      const store = await openStore({ database: { backend: 'sqlite', path } });
      try {
        await store.insert('nonces', { id: 'n', data: {} });
        assert.equal(statSync(dir).mode & 0o777, 0o700);
        assert.equal(statSync(path).mode & 0o777, 0o600);
        assert.equal(statSync(`${path}-wal`).mode & 0o777, 0o600);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const Database = require('better-sqlite3');
        const db = new Database(path, { readonly: true });
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
        db.close();
      } finally {
        await store.close();
        rmSync(parent, { recursive: true, force: true });
      }
    });
  });

  describe('services/db.sh: the project-local PostgreSQL cluster', () => {
    let fixture: PostgresFixture;
    before(async () => {
      fixture = await postgres();
    });

    it('keeps its data 0700 and its password file 0600, and listens on 127.0.0.1 only', () => {
      assert.equal(statSync(fixture.dataDir).mode & 0o777, 0o700);
      assert.equal(statSync(join(fixture.dataDir, '..', 'postgres.password')).mode & 0o777, 0o600);
      const port = new URL(fixture.url).port;
      const listening = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' });
      const addresses = listening
        .trim()
        .split('\n')
        .map((line) => line.trim().split(/\s+/)[3]);
      assert.deepEqual(addresses, [`127.0.0.1:${port}`]);
    });

    it('start and status are idempotent; --help documents the commands', () => {
      const env = {
        ...process.env,
        KYC_INSTANCE: fixture.instance,
        KYC_PORT_OFFSET: String(Number(new URL(fixture.url).port) - 5433),
      };
      assert.match(execFileSync('bash', ['services/db.sh', 'start'], { env, encoding: 'utf8' }), /already running/);
      assert.match(execFileSync('bash', ['services/db.sh', 'status'], { env, encoding: 'utf8' }), /up on 127\.0\.0\.1/);
      assert.match(
        execFileSync('bash', ['services/db.sh', '--help'], { encoding: 'utf8' }),
        /start.*stop.*status.*url.*clean/s,
      );
    });
  });
});
