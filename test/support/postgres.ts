import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * The project-local PostgreSQL cluster for tests (services/db.sh), one per test process: instance
 * `unit-store-<pid>` on a free port, created on first use, and cleaned (stopped, data removed) after the run
 * (root `after` hook) or at process exit, also when tests failed. Each test gets its own schema through the
 * connection's search_path, so tests never see each other's tables.
 */

const ROOT = resolve(__dirname, '../../..');
const DB_SCRIPT = join(ROOT, 'services/db.sh');

export interface PostgresFixture {
  readonly instance: string;
  /** The cluster's data directory (for raw scans). */
  readonly dataDir: string;
  /** Connection URL of the `kyc` database (contains the password). */
  readonly url: string;
  /** A URL whose search_path is a new, empty schema. */
  freshSchema(): Promise<string>;
  /** Runs SQL as the cluster's owner (CHECKPOINT, DROP…). */
  admin(sql: string): Promise<void>;
}

let pending: Promise<PostgresFixture> | undefined;
let env: NodeJS.ProcessEnv | undefined;

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'));
        else resolvePort(address.port);
      });
    });
  });
}

function db(command: string): string {
  return execFileSync('bash', [DB_SCRIPT, command], { env, encoding: 'utf8', timeout: 90_000 });
}

/** Stops the cluster and removes its data; safe to call any number of times. */
export function stopPostgres(): void {
  if (env === undefined) return;
  try {
    execFileSync('bash', [DB_SCRIPT, 'clean'], { env, stdio: 'ignore', timeout: 90_000 });
  } finally {
    env = undefined;
    pending = undefined;
  }
}

async function start(): Promise<PostgresFixture> {
  const instance = `unit-store-${process.pid}`;
  const port = await freePort();
  env = { ...process.env, KYC_INSTANCE: instance, KYC_PORT_OFFSET: String(port - 5433) };
  process.once('exit', stopPostgres);
  db('start');
  const url = db('url').trim();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pg = require('pg') as typeof import('pg');
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    instance,
    dataDir: join(ROOT, 'services/data', instance, 'postgres'),
    url,
    admin,
    freshSchema: async () => {
      const schema = `t_${randomBytes(6).toString('hex')}`;
      await admin(`CREATE SCHEMA ${schema}`);
      return `${url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    },
  };
}

/** The process's test cluster, started on the first call. */
export function postgres(): Promise<PostgresFixture> {
  pending ??= start();
  return pending;
}
