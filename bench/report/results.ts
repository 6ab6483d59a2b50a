/**
 * The results file `./kyc bench` writes (bench/results/<run>/results.json): one row per operation and level in
 * flight, each with its ratio to the trivial baseline contract measured in the same run, and the CPU each kind
 * of process spent per transaction (read from /proc). The charts are drawn from this file alone.
 */

/** How a row reaches the ledger: a submitted transaction, an evaluated query, or a request to a service. */
export type RowKind = 'submit' | 'evaluate' | 'http';

/** The processes whose CPU is counted apart. `client` is the load generator (this benchmark's own process). */
export const PROCESS_KINDS = ['peer', 'orderer', 'ccserver', 'service', 'client'] as const;
export type ProcessKind = (typeof PROCESS_KINDS)[number];

export interface LatencyMs {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface BenchRow {
  /** e.g. `Certify`, `IsVerified`, `Baseline put`, `Bank verification (HTTP)`. */
  readonly operation: string;
  readonly kind: RowKind;
  /** The baseline operation this row is compared with (`Baseline put` or `Baseline get`), if any. */
  readonly baseline?: string;
  readonly inFlight: number;
  /** Operations completed in the timed window (after the warm-up), failures included. */
  readonly ops: number;
  readonly failures: number;
  readonly seconds: number;
  /** Successful operations per second in the timed window. */
  readonly tps: number;
  readonly latencyMs: LatencyMs;
  /** tps / the baseline row's tps at the same level in flight, in the same run. */
  readonly ratio?: number;
  /** CPU milliseconds per successful operation, by kind of process (user + system time). */
  readonly cpuMsPerOp: Readonly<Partial<Record<ProcessKind, number>>>;
}

export interface BenchReport {
  readonly startedAt: string;
  readonly host: { readonly cpus: number; readonly node: string; readonly memoryGiB: number };
  readonly network: { readonly instance: string; readonly consensus: string };
  /** Where the benchmark client's signing keys live. */
  readonly clientKeys: 'hsm' | 'software';
  readonly warmupSeconds: number;
  readonly windowSeconds: number;
  readonly rows: readonly BenchRow[];
}
