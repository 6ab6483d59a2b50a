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

/** A measurement window: `inFlight` workers call `task` for `warmupSeconds` (not counted), then for `windowSeconds`. */
export interface WindowOptions {
  readonly inFlight: number;
  readonly warmupSeconds: number;
  readonly windowSeconds: number;
  /** Stops early when there is no more work (e.g. a prepared pool is used up): task index ≥ limit. */
  readonly limit?: number;
  /** Called when the timed window opens and when it closes (CPU samples). */
  readonly onWindowStart?: () => void;
  readonly onWindowEnd?: () => void;
}

/**
 * Runs `task` continuously with `inFlight` calls in flight. Calls that finish during the warm-up are not
 * counted; calls started in the window are, and the window's length is from its start until the last of
 * them finished, so the rate is what the system sustained (no call is cut off or left out).
 */
export async function runWindow(
  what: string,
  options: Readonly<WindowOptions>,
  task: (i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  let failures = 0;
  let next = 0;
  const now = (): number => Number(process.hrtime.bigint()) / 1e6;
  const startedAt = now();
  const windowStart = startedAt + options.warmupSeconds * 1000;
  const windowEnd = windowStart + options.windowSeconds * 1000;
  let windowOpened = false;
  const openWindow = (): void => {
    if (!windowOpened) {
      windowOpened = true;
      options.onWindowStart?.();
    }
  };
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const worker = async (): Promise<void> => {
    for (;;) {
      const t0 = now();
      if (t0 >= windowEnd || next >= limit) return;
      const counted = t0 >= windowStart;
      if (counted) openWindow();
      const i = next++;
      try {
        await task(i);
        if (counted) latenciesMs.push(now() - t0);
      } catch (err) {
        if (counted) failures++;
        if (failures === 1 && counted) process.stderr.write(`  ${what}: first failure: ${(err as Error).message}\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  openWindow();
  options.onWindowEnd?.();
  const seconds = Math.max(1e-3, (now() - Math.min(windowStart, now())) / 1000);
  return { seconds, latenciesMs, failures };
}
