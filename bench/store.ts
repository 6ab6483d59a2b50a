import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHsm, type Hsm } from '../gateway/src/hsm';
import { openStore, type KycStore, type NewRecord, type StoreBackendOptions } from '../store/src';
import { postgres, stopPostgres } from '../test/support/postgres';
import { softHsm } from '../test/support/softhsm';
import { percentile, runBounded } from './load';

/**
 * `./kyc bench store`: operations/s and latency of the state store on SQLite and on the project-local
 * PostgreSQL (started for the run and removed after), with and without HSM envelope encryption (a throwaway
 * SoftHSM token), at several table sizes. Bounded: tables are filled by a bulk loader (insertMany in chunks of
 * 1,000), and each operation runs a fixed number of times at a fixed concurrency. Needs no Fabric network.
 * Options: `--sizes 1000,10000,100000`, `--ops N` (default 1000), `--concurrency C` (default 8),
 * `--backends sqlite,postgres`.
 */

interface Row {
  readonly backend: string;
  readonly encrypted: boolean;
  readonly records: number;
  readonly operation: string;
  readonly ops: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : (process.argv[index + 1] ?? fallback);
}

function integerOption(name: string, fallback: number, max: number): number {
  const value = Number(option(name, String(fallback)));
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be 1 to ${max}`);
  return value;
}

function certification(i: number, prefix: string): NewRecord {
  return {
    id: `${prefix}${i}`,
    status: 'pending',
    personId: `did:key:z${i % 5000}`,
    createdAt: i,
    data: { kind: 'kyc.person.v1', request: 'x'.repeat(300) },
    personal: {
      claims: { given_name: `Given${i}`, family_name: `Family${i}`, birthdate: '1990-01-01', address: `${i} Main St` },
    },
  };
}

async function measure(
  base: Omit<Row, 'operation' | 'ops' | 'seconds' | 'latenciesMs'>,
  operation: string,
  ops: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<Row> {
  const { seconds, latenciesMs, failures } = await runBounded(operation, ops, concurrency, task);
  // A store operation that fails is a defect, not a data point.
  if (failures > 0) throw new Error(`${operation}: ${failures} of ${ops} operations failed`);
  return { ...base, operation, ops, seconds, latenciesMs };
}

async function load(store: KycStore, records: number): Promise<number> {
  const t0 = Date.now();
  for (let start = 0; start < records; start += 1000) {
    const chunk = Array.from({ length: Math.min(1000, records - start) }, (_, k) => certification(start + k, 'c'));
    await store.insertMany('certifications', chunk);
  }
  return (Date.now() - t0) / 1000;
}

async function runOne(
  store: KycStore,
  base: Omit<Row, 'operation' | 'ops' | 'seconds' | 'latenciesMs'>,
  ops: number,
  concurrency: number,
): Promise<Row[]> {
  const n = base.records;
  const pick = (): number => Math.floor(Math.random() * n);
  const rows: Row[] = [];
  rows.push(
    await measure(base, 'insert', ops, concurrency, (i) => store.insert('certifications', certification(i, 'new'))),
  );
  rows.push(await measure(base, 'get', ops, concurrency, () => store.get('certifications', `c${pick()}`)));
  await store.insertMany(
    'nonces',
    Array.from({ length: ops }, (_, i) => ({ id: `n${i}`, expiresAt: Date.now() + 600_000, data: {} })),
  );
  rows.push(await measure(base, 'consume nonce', ops, concurrency, (i) => store.consume('nonces', `n${i}`)));
  rows.push(
    await measure(base, 'transition (+disclosures)', ops, concurrency, (i) =>
      store.transition('certifications', `c${(i * 7919) % n}`, {
        from: 'pending',
        to: 'approved',
        personal: { disclosures: ['WyJzYWx0IiwiZ2l2ZW5fbmFtZSIsIkFkYSJd'] },
      }),
    ),
  );
  rows.push(
    await measure(base, 'list pending (50)', Math.min(ops, 200), concurrency, () =>
      store.listByStatus('certifications', 'pending', 50),
    ),
  );
  rows.push(
    await measure(base, 'count', Math.min(ops, 200), concurrency, () =>
      store.count('certifications', { status: 'pending' }),
    ),
  );
  rows.push(
    await measure(base, 'count, capped at 100', Math.min(ops, 200), concurrency, () =>
      store.count('certifications', { status: 'pending', atMost: 100 }),
    ),
  );
  return rows;
}

function printTable(rows: readonly Row[]): void {
  const header = ['backend', 'KEK', 'records', 'operation', 'ops', 'ops/s', 'p50 ms', 'p95 ms'];
  const lines = rows.map((r) => {
    const sorted = [...r.latenciesMs].sort((a, b) => a - b);
    return [
      r.backend,
      r.encrypted ? 'HSM' : 'none',
      String(r.records),
      r.operation,
      String(r.ops),
      (r.ops / r.seconds).toFixed(0),
      percentile(sorted, 50).toFixed(2),
      percentile(sorted, 95).toFixed(2),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i < 4 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  process.stdout.write(`\n${render(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const line of lines) process.stdout.write(`${render(line)}\n`);
}

async function database(backend: string, dir: string): Promise<StoreBackendOptions> {
  if (backend === 'sqlite') return { backend: 'sqlite', path: join(dir, `${randomBytes(4).toString('hex')}.sqlite`) };
  return { backend: 'postgres', connectionString: await (await postgres()).freshSchema() };
}

async function main(): Promise<void> {
  const sizes = option('sizes', '1000,10000,100000').split(',').map(Number);
  if (sizes.some((s) => !Number.isInteger(s) || s < 1 || s > 1_000_000)) throw new Error('--sizes: 1 to 1,000,000');
  const ops = integerOption('ops', 1000, 100_000);
  const concurrency = integerOption('concurrency', 8, 256);
  const backends = option('backends', 'sqlite,postgres').split(',');
  const fixture = softHsm();
  const hsm: Hsm = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
  const { label, pin } = fixture.token('store');
  const dir = mkdtempSync(join(tmpdir(), 'kyc-bench-store-'));
  const rows: Row[] = [];
  try {
    for (const backend of backends) {
      for (const encrypted of [false, true]) {
        for (const records of sizes) {
          const store = await openStore({
            database: await database(backend, dir),
            encryption: encrypted ? { hsm, tokenLabel: label, pin } : undefined,
          });
          try {
            const seconds = await load(store, records);
            process.stderr.write(
              `  ${backend} ${encrypted ? 'HSM' : 'plain'} ${records}: loaded in ${seconds.toFixed(1)} s (${(records / seconds).toFixed(0)}/s)\n`,
            );
            rows.push(...(await runOne(store, { backend, encrypted, records }, ops, concurrency)));
          } finally {
            await store.close();
          }
        }
      }
    }
  } finally {
    await hsm.close();
    stopPostgres();
    rmSync(dir, { recursive: true, force: true });
  }
  printTable(rows);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench/store: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
