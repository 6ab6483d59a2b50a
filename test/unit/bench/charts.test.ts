import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chartSpecs, writeCharts } from '../../../bench/report/charts';
import type { BenchReport, BenchRow } from '../../../bench/report/results';

function row(operation: string, inFlight: number, tps: number, ratio?: number): BenchRow {
  return {
    operation,
    kind: operation === 'Certify' ? 'submit' : 'evaluate',
    ...(ratio === undefined ? {} : { baseline: operation === 'Certify' ? 'Baseline put' : 'Baseline get', ratio }),
    inFlight,
    ops: tps * 30,
    failures: 0,
    seconds: 30,
    tps,
    latencyMs: { p50: 1000 / tps, p95: 2000 / tps, p99: 3000 / tps, max: 4000 / tps },
    cpuMsPerOp: { peer: 4, orderer: 1, ccserver: 2, client: 0.5 },
  };
}

const report: BenchReport = {
  startedAt: '2025-05-01T10:00:00.000Z',
  host: { cpus: 2, node: 'v20.20.2', memoryGiB: 24 },
  network: { instance: 'main', consensus: 'etcdraft' },
  clientKeys: 'hsm',
  warmupSeconds: 5,
  windowSeconds: 30,
  rows: [
    row('Certify', 1, 40, 0.9),
    row('Certify', 8, 120, 0.8),
    row('IsVerified', 1, 300, 1),
    row('IsVerified', 8, 250, 0.95),
  ],
};
const noBaseline: BenchReport = { ...report, rows: report.rows.map((r) => row(r.operation, r.inFlight, r.tps)) };

const TITLES = {
  'throughput.svg': 'Throughput: successful operations per second by level in flight',
  'latency.svg': 'Latency percentiles (p50, p95, p99) by operation and level in flight',
  'ratio.svg': 'Throughput relative to the baseline contract (1.0 = baseline, dashed = 0.85 target)',
  'cpu.svg': "CPU per operation by process, at each operation's best level in flight",
};

/** A spec's inline data (every chart but the ratio chart carries it at the top level). */
const values = (spec: unknown) => (spec as Layer).data.values;
interface Layer {
  data: { values: Record<string, unknown>[] };
  mark: unknown;
  encoding: { y?: { type?: string } };
}

describe('bench/report/charts: the benchmark charts as SVG', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kyc-charts-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the four charts as SVG (mode 0644) with their titles, the run and the operations', async () => {
    const written = await writeCharts(report, dir);
    assert.deepEqual(
      [...written].sort(),
      ['cpu.svg', 'latency.svg', 'ratio.svg', 'throughput.svg'].map((f) => join(dir, f)),
    );
    for (const [file, chartTitle] of Object.entries(TITLES)) {
      const path = join(dir, file);
      assert.equal(statSync(path).mode & 0o777, 0o644, file);
      const svg = readFileSync(path, 'utf8');
      assert.match(svg, /^<svg[\s>]/, file);
      // SVG escapes the apostrophe; compare with the text as a person reads it.
      const text = svg.replaceAll('&#39;', "'").replaceAll('&apos;', "'");
      assert.ok(text.includes(chartTitle), `${file} has its title`);
      assert.ok(text.includes('Run started 2025-05-01T10:00:00.000Z · 2 CPUs · client keys: hsm'), `${file} subtitle`);
      for (const operation of ['Certify', 'IsVerified']) assert.ok(text.includes(operation), `${file}: ${operation}`);
    }
  });

  it('writes no ratio chart for a run without baseline rows, and the other three all the same', async () => {
    const written = await writeCharts(noBaseline, dir);
    assert.deepEqual(
      [...written].sort(),
      ['cpu.svg', 'latency.svg', 'throughput.svg'].map((f) => join(dir, f)),
    );
    assert.equal(existsSync(join(dir, 'ratio.svg')), false);
    assert.match(readFileSync(join(dir, 'throughput.svg'), 'utf8'), /^<svg[\s>][\s\S]*IsVerified/);
  });

  it('draws the CPU of each operation at its best level in flight, and each latency percentile', () => {
    const specs = chartSpecs(report);
    const cpu = values(specs['cpu.svg']);
    assert.deepEqual([...new Set(cpu.map((v) => v['label']))], ['Certify (8 in flight)', 'IsVerified (1 in flight)']);
    assert.deepEqual(
      cpu.filter((v) => v['operation'] === 'Certify').map((v) => [v['kind'], v['ms']]),
      [
        ['peer', 4],
        ['orderer', 1],
        ['ccserver', 2],
        ['client', 0.5],
      ],
    );
    const latency = values(specs['latency.svg']);
    assert.equal(latency.length, 4 * 3);
    assert.deepEqual(
      latency.filter((v) => v['operation'] === 'Certify' && v['inFlight'] === 8).map((v) => [v['percentile'], v['ms']]),
      [
        ['p50', 1000 / 120],
        ['p95', 2000 / 120],
        ['p99', 3000 / 120],
      ],
    );
    assert.equal(chartSpecs(noBaseline)['ratio.svg'], undefined);
  });

  it('marks the baseline (1.0) and the dashed target (0.85) on the ratio bars’ own scale', () => {
    const { layer } = chartSpecs(report)['ratio.svg'] as unknown as { layer: Layer[] };
    assert.deepEqual(
      layer.map((l) => [l.data.values.map((v) => v['ratio'] ?? v['y']), l.mark, l.encoding.y?.type]),
      [
        [[0.9, 0.8, 1, 0.95], 'bar', 'quantitative'],
        [[1], { type: 'rule', color: 'black' }, 'quantitative'],
        [[0.85], { type: 'rule', color: 'firebrick', strokeDash: [6, 4] }, 'quantitative'],
      ],
    );
  });
});
