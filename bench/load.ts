/**
 * The bounded load loop every benchmark shares: a fixed number of calls with a fixed number in flight, each
 * call's latency recorded. Failures are counted, not retried; the first one is reported on stderr.
 */

export interface LoadResult {
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly failures: number;
}

export async function runBounded(
  what: string,
  ops: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let next = 0;
  let failures = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < ops) {
      const i = next++;
      const t0 = process.hrtime.bigint();
      try {
        await task(i);
        latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      } catch (err) {
        failures++;
        if (failures === 1) process.stderr.write(`  ${what}: first failure: ${(err as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, latenciesMs, failures };
}

/** The p-th percentile of sorted values (nearest rank); NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}
