import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchReport } from '../../bench/report/results';
import { repoRoot, suiteInstance } from '../support/network';

/**
 * `./kyc bench` and `./kyc bench scale` against the real network, bounded (a few seconds per row, few in
 * flight): they measure every row beside the baseline contract, count CPU by process, and write results and
 * charts. The speeds themselves are the benchmark's business, never asserted here.
 */

function runBench(script: string, args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', [join(repoRoot(), 'dist', 'bench', script), ...args], {
      cwd: repoRoot(),
      env: { ...process.env, KYC_INSTANCE: suiteInstance() },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => {
      chunks.push(c);
    });
    child.stderr.on('data', (c: Buffer) => {
      chunks.push(c);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

describe('benchmarks on the running network (bounded)', function () {
  this.timeout(10 * 60_000);
  let out: string;

  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'kyc-bench-test-'));
  });
  afterEach(() => {
    rmSync(out, { recursive: true, force: true });
  });

  it('measures kyc rows and an HTTP path beside the baseline contract, with CPU per process, JSON and charts', async () => {
    const rows = 'baseline-put,certify,baseline-get,get-attestation,is-verified,http-approve';
    const run = await runBench('main.js', [
      ...['--levels', '4', '--http-levels', '4', '--warmup', '1', '--window', '2', '--rows', rows, '--out', out],
    ]);
    assert.equal(run.code, 0, run.output);
    const report = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchReport;
    const row = (operation: string) => {
      const found = report.rows.find((r) => r.operation === operation);
      assert.ok(found, `no ${operation} row in ${JSON.stringify(report.rows.map((r) => r.operation))}`);
      return found;
    };
    for (const operation of ['Baseline put', 'Certify', 'Baseline get', 'GetAttestation', 'IsVerified']) {
      const r = row(operation);
      assert.equal(r.failures, 0, `${operation} failed`);
      assert.ok(r.tps > 0 && r.ops > 0, `${operation} measured nothing`);
      assert.ok(r.latencyMs.p50 > 0 && r.latencyMs.p50 <= r.latencyMs.p99, `${operation} latencies`);
    }
    // Ratios are to the baseline measured in this run, at the same level in flight.
    assert.equal(row('Certify').ratio, row('Certify').tps / row('Baseline put').tps);
    assert.equal(row('GetAttestation').ratio, row('GetAttestation').tps / row('Baseline get').tps);
    // Every process kind on a submitted transaction's path spent CPU, read from /proc.
    const certifyCpu = row('Certify').cpuMsPerOp;
    for (const kind of ['peer', 'orderer', 'ccserver', 'client'] as const) {
      assert.ok((certifyCpu[kind] ?? 0) > 0, `no ${kind} CPU for Certify: ${JSON.stringify(certifyCpu)}`);
    }
    const approval = row('Certifier approval (HTTP)');
    assert.equal(approval.failures, 0);
    assert.ok(approval.tps > 0 && (approval.cpuMsPerOp.service ?? 0) > 0, JSON.stringify(approval));
    for (const chart of ['throughput.svg', 'latency.svg', 'ratio.svg', 'cpu.svg']) {
      assert.match(readFileSync(join(out, chart), 'utf8'), /<svg/, chart);
    }
    assert.match(run.output, /targets \(docs\/performance\.md\)/);
  });

  it('loads attestations with a bounded loader and measures reads, Certify and ledger bytes per attestation', async () => {
    const run = await runBench('scale.js', ['--sizes', '30', '--in-flight', '10', '--window', '1', '--out', out]);
    assert.equal(run.code, 0, run.output);
    assert.ok(existsSync(join(out, 'scale.json')), run.output);
    const result = JSON.parse(readFileSync(join(out, 'scale.json'), 'utf8')) as {
      rows: {
        attestations: number;
        ledgerBytesPerAttestation: number | null;
        operations: Record<string, { tps: number; failures: number }>;
      }[];
    };
    const [only] = result.rows;
    assert.ok(only);
    for (const op of ['GetAttestation', 'IsVerified', 'Certify']) {
      assert.ok((only.operations[op]?.tps ?? 0) > 0, `${op}: ${JSON.stringify(only.operations[op])}`);
      assert.equal(only.operations[op]?.failures, 0);
    }
  });
});
