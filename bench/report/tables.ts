import { PROCESS_KINDS, type BenchRow } from './results';

/** The bench's tables on stdout: one line per row (operation × level in flight), then the targets. */

const fmt = (n: number | undefined, digits = 1): string =>
  n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits);

const HEADER = [
  'operation',
  'in flight',
  'ops',
  'failed',
  'tx/s',
  'ratio',
  'p50 ms',
  'p95 ms',
  'p99 ms',
  ...PROCESS_KINDS.map((k) => `${k} ms/op`),
];
const WIDTHS = [30, 9, 6, 6, 7, 5, 7, 7, 7, ...PROCESS_KINDS.map((k) => `${k} ms/op`.length)];

function line(cells: readonly string[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(WIDTHS[i] ?? 0) : c.padStart(WIDTHS[i] ?? 0))).join('  ');
}

export function printRows(rows: readonly BenchRow[], header: boolean): void {
  if (header) process.stdout.write(`\n${line(HEADER)}\n${WIDTHS.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of rows) {
    const cells = [
      r.operation,
      String(r.inFlight),
      String(r.ops),
      String(r.failures),
      fmt(r.tps),
      fmt(r.ratio, 2),
      fmt(r.latencyMs.p50),
      fmt(r.latencyMs.p95),
      fmt(r.latencyMs.p99),
      ...PROCESS_KINDS.map((k) => fmt(r.cpuMsPerOp[k], 2)),
    ];
    process.stdout.write(`${line(cells)}\n`);
  }
}

/** The row of `operation` with the highest rate (its best level in flight). */
export function bestRow(rows: readonly BenchRow[], operation: string): BenchRow | undefined {
  return rows.filter((r) => r.operation === operation).sort((a, b) => b.tps - a.tps)[0];
}

/**
 * The row of `operation` where its rate saturates: the lowest level in flight that reaches 95 % of its best
 * rate. In a closed loop, more calls in flight past that point only queue (latency grows, rate does not).
 */
export function saturated(rows: readonly BenchRow[], operation: string): BenchRow | undefined {
  const mine = rows.filter((r) => r.operation === operation).sort((a, b) => a.inFlight - b.inFlight);
  const best = Math.max(...mine.map((r) => r.tps));
  return mine.find((r) => r.tps >= 0.95 * best);
}

export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined; // undefined: the rows it needs were not run
}

/** The targets (docs/performance.md), checked against this run's rows. */
export function checkTargets(rows: readonly BenchRow[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const add = (target: string, value: number | undefined, show: (v: number) => string, ok: (v: number) => boolean) =>
    checks.push(
      value === undefined || Number.isNaN(value)
        ? { target, measured: '-', met: undefined }
        : { target, measured: show(value), met: ok(value) },
    );
  const ratioAtBest = (op: string): number | undefined => bestRow(rows, op)?.ratio;
  const certify = bestRow(rows, 'Certify');
  add(
    'Certify ≥ 0.85× baseline put',
    ratioAtBest('Certify'),
    (v) => `${v.toFixed(2)}×`,
    (v) => v >= 0.85,
  );
  add(
    'Certify 0 failures',
    certify === undefined
      ? undefined
      : rows.filter((r) => r.operation === 'Certify').reduce((s, r) => s + r.failures, 0),
    String,
    (v) => v === 0,
  );
  add(
    'Certify p95 < 600 ms (best level)',
    certify?.latencyMs.p95,
    (v) => `${v.toFixed(0)} ms`,
    (v) => v < 600,
  );
  for (const op of ['IsVerified', 'GetAttestation']) {
    add(
      `${op} ≥ 0.85× baseline get`,
      ratioAtBest(op),
      (v) => `${v.toFixed(2)}×`,
      (v) => v >= 0.85,
    );
    add(
      `${op} p99 < 100 ms at saturation`,
      saturated(rows, op)?.latencyMs.p99,
      (v) => `${v.toFixed(0)} ms`,
      (v) => v < 100,
    );
  }
  const verify = bestRow(rows, 'Bank verification (HTTP)');
  add(
    'Bank verification over HTTP ≥ 250/s',
    verify?.tps,
    (v) => `${v.toFixed(0)}/s`,
    (v) => v >= 250,
  );
  add(
    'Bank verification over HTTP p95 < 1 s',
    verify?.latencyMs.p95,
    (v) => `${v.toFixed(0)} ms`,
    (v) => v < 1000,
  );
  add(
    'Certifier approval over HTTP ≥ 200/s',
    bestRow(rows, 'Certifier approval (HTTP)')?.tps,
    (v) => `${v.toFixed(0)}/s`,
    (v) => v >= 200,
  );
  const software = bestRow(rows, 'Certify (software client key)');
  add(
    'Certify with HSM client keys ≥ 0.95× software keys',
    certify !== undefined && software !== undefined ? certify.tps / software.tps : undefined,
    (v) => `${v.toFixed(2)}×`,
    (v) => v >= 0.95,
  );
  return checks;
}

export function printTargets(rows: readonly BenchRow[]): void {
  process.stdout.write('\ntargets (docs/performance.md):\n');
  for (const c of checkTargets(rows)) {
    const verdict = c.met === undefined ? 'not run' : c.met ? 'met' : 'NOT MET';
    process.stdout.write(`  ${c.target.padEnd(52)} ${c.measured.padStart(9)}  ${verdict}\n`);
  }
}
