import assert from 'node:assert/strict';
import { cpuPerOp } from '../../../bench/cpu';
import { runWindow } from '../../../bench/load';
import type { BenchRow } from '../../../bench/report/results';
import { bestRow, checkTargets, saturated } from '../../../bench/report/tables';

function row(operation: string, inFlight: number, tps: number, extra: Partial<BenchRow> = {}): BenchRow {
  return {
    operation,
    kind: 'submit',
    inFlight,
    ops: tps * 10,
    failures: 0,
    seconds: 10,
    tps,
    latencyMs: { p50: 100, p95: 200, p99: 300, max: 400 },
    cpuMsPerOp: {},
    ...extra,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('bench measurement', () => {
  describe('runWindow', () => {
    it('counts only calls started in the timed window, and stops at the limit', async () => {
      const started: number[] = [];
      let opened = 0;
      let closed = 0;
      const result = await runWindow(
        'test',
        {
          inFlight: 2,
          warmupSeconds: 0.05,
          windowSeconds: 0.2,
          onWindowStart: () => opened++,
          onWindowEnd: () => closed++,
        },
        async (i) => {
          started.push(i);
          await sleep(10);
        },
      );
      assert.equal(opened, 1);
      assert.equal(closed, 1);
      // ~10 ms per call, 2 in flight: the warm-up's calls (~10) are run but not counted.
      assert.ok(result.latenciesMs.length < started.length, `${result.latenciesMs.length} of ${started.length}`);
      assert.ok(result.latenciesMs.length >= 20, String(result.latenciesMs.length));
      assert.ok(result.seconds >= 0.2 && result.seconds < 1, String(result.seconds));

      const limited = await runWindow('limited', { inFlight: 3, warmupSeconds: 0, windowSeconds: 5, limit: 7 }, () =>
        sleep(1),
      );
      assert.equal(limited.latenciesMs.length, 7);
      assert.ok(limited.seconds < 1);
    });

    it('counts failures in the window without stopping', async () => {
      const result = await runWindow('failing', { inFlight: 1, warmupSeconds: 0, windowSeconds: 5, limit: 4 }, (i) =>
        i % 2 === 0 ? Promise.reject(new Error('refused')) : Promise.resolve(),
      );
      assert.equal(result.failures, 2);
      assert.equal(result.latenciesMs.length, 2);
    });
  });

  it("cpuPerOp divides each kind of process's CPU by the operations, leaving out kinds that spent nothing", () => {
    const before = { peer: 100, orderer: 50, ccserver: 10, service: 5, client: 20 };
    const after = { peer: 300, orderer: 50, ccserver: 30, service: 5, client: 60 };
    assert.deepEqual(cpuPerOp(before, after, 10), { peer: 20, ccserver: 2, client: 4 });
    assert.deepEqual(cpuPerOp(before, after, 0), {});
  });

  it("checks the targets at each operation's best level and says which rows were not run", () => {
    const rows = [
      row('Baseline put', 50, 100),
      row('Certify', 50, 90, { ratio: 0.9, latencyMs: { p50: 300, p95: 500, p99: 700, max: 800 } }),
      row('Certify', 100, 80, { ratio: 0.6, latencyMs: { p50: 900, p95: 1500, p99: 2000, max: 2500 } }),
      row('Certify (software client key)', 50, 100),
      row('IsVerified', 50, 400, { kind: 'evaluate', ratio: 0.7 }),
    ];
    assert.equal(bestRow(rows, 'Certify')?.inFlight, 50);
    const reads = [row('GetAttestation', 25, 400), row('GetAttestation', 50, 590), row('GetAttestation', 100, 600)];
    assert.equal(saturated(reads, 'GetAttestation')?.inFlight, 50);
    const checks = new Map(checkTargets(rows).map((c) => [c.target, c]));
    assert.equal(checks.get('Certify ≥ 0.85× baseline put')?.met, true);
    assert.equal(checks.get('Certify p95 < 600 ms (best level)')?.met, true);
    assert.equal(checks.get('IsVerified ≥ 0.85× baseline get')?.met, false);
    assert.equal(checks.get('IsVerified p99 < 100 ms at saturation')?.met, false);
    assert.equal(checks.get('Certify with HSM client keys ≥ 0.95× software keys')?.measured, '0.90×');
    assert.equal(checks.get('Certify with HSM client keys ≥ 0.95× software keys')?.met, false);
    assert.equal(checks.get('Bank verification over HTTP ≥ 250/s')?.met, undefined);
    const failing = checkTargets([...rows, row('Certify', 25, 10, { failures: 3 })]);
    assert.equal(failing.find((c) => c.target === 'Certify 0 failures')?.met, false);
  });
});
