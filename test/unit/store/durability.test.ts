import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type StoreBackendOptions } from '../../../store/src';
import { postgres, stopPostgres } from '../../support/postgres';

after(stopPostgres);

const WRITER = join(__dirname, '../../support/store-writer.js');

/** Runs the writer until it acknowledged `acks` rounds, SIGKILLs it, and returns the last acknowledged round. */
function writeThenKill(database: StoreBackendOptions, acks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, JSON.stringify(database)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = -1;
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) last = Number(line.slice(4));
      if (last + 1 >= acks) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`the writer stopped by itself: ${stderr}`));
    });
  });
}

describe('store: writes acknowledged before a SIGKILL survive it', function () {
  this.timeout(60_000);

  const check = async (database: StoreBackendOptions): Promise<void> => {
    const last = await writeThenKill(database, 40);
    const store = await openStore({ database });
    try {
      for (let i = 0; i <= last; i++) {
        assert.deepEqual((await store.get('certifications', `w${i}`))?.personal, { v: `p${i}` }, `record w${i}`);
        // A consumed nonce stays consumed: it can never be used a second time after a crash.
        assert.equal(await store.get('nonces', `n${i}`), undefined, `nonce n${i}`);
      }
    } finally {
      await store.close();
    }
  };

  it('SQLite (WAL, synchronous=FULL)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kyc-store-kill-'));
    try {
      await check({ backend: 'sqlite', path: join(dir, 'state.sqlite') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('PostgreSQL', async () => {
    await check({ backend: 'postgres', connectionString: await (await postgres()).freshSchema() });
  });
});
