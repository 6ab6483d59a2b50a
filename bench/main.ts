import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import type { Contract } from '@hyperledger/fabric-gateway';
import { connectUser, loadNetworkConfig, networkConfigPath, openNetworkHsm } from '../gateway/src/fabric';
import { newKycLedger, type KycLedger } from '../gateway/src/ledger/kyc-ledger';
import { cpuPerOp, cpuSampler, type CpuSample } from './cpu';
import { certifyOne, verifyOne, type Certified } from './ledger-ops';
import { httpPaths, type HttpPaths } from './http-rows';
import { percentile, runWindow } from './load';
import { writeCharts } from './report/charts';
import type { BenchReport, BenchRow, RowKind } from './report/results';
import { startBenchServices, stopBenchServices, type BenchServices } from './service-processes';
import { connectSoftwareUser } from './software-user';
import { printRows, printTargets } from './report/tables';

/**
 * `./kyc bench`: every ledger operation and both HTTP paths at several levels in flight, each row a warm-up
 * and a timed window, shown beside a trivial put/get contract (`baseline`) measured in the same run on the
 * same network, with the CPU each kind of process spent per operation. Writes results.json and SVG charts
 * to bench/results/<time>/. Options: --help.
 */

const ROOT = resolve(__dirname, '../..');

const USAGE = `Usage: ./kyc bench [options]    (needs ./kyc start)

  --levels L,L,..     levels in flight for the ledger rows (default 25,50,100,200)
  --http-levels L,..  levels in flight for the HTTP rows (default 25,50,100)
  --warmup S          seconds of warm-up before each row's window (default 3)
  --window S          seconds of each timed window (default 10)
  --rows R,R,..       which rows (default all): {ROWS}
  --out DIR           where results.json and the charts go (default bench/results/<time>)
`;

interface Options {
  readonly levels: readonly number[];
  readonly httpLevels: readonly number[];
  readonly warmup: number;
  readonly window: number;
  readonly rows: ReadonlySet<string>;
  readonly out: string;
}

/** Every row, in the order they run at each level. */
const ROW_IDS = [
  'baseline-put',
  'certify',
  'certify-software',
  'verify',
  'baseline-get',
  'is-verified',
  'get-attestation',
  'http-verify',
  'http-approve',
] as const;

interface RowSpec {
  readonly id: (typeof ROW_IDS)[number];
  readonly operation: string;
  readonly kind: RowKind;
  readonly baseline?: string;
  readonly http?: boolean;
  /** Run before the row's window at each level (e.g. a pool of work); returns a limit on task indexes. */
  readonly prepare?: (inFlight: number, seconds: number) => Promise<number | undefined>;
  readonly task: (i: number) => Promise<unknown>;
}

function numbers(value: string, name: string, max: number): number[] {
  const list = value.split(',').map(Number);
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
    throw new Error(`--${name} takes whole numbers from 1 to ${String(max)}, comma-separated (got '${value}')`);
  }
  return list;
}

function parseOptions(argv: readonly string[], rowIds: readonly string[]): Options | undefined {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i < 0 ? undefined : argv[i + 1];
  };
  if (argv.includes('--help') || argv.includes('-h')) return undefined;
  const known = new Set(['--levels', '--http-levels', '--warmup', '--window', '--rows', '--out']);
  for (let i = 0; i < argv.length; i += 2) {
    if (!known.has(argv[i] ?? '')) throw new Error(`unknown option '${argv[i] ?? ''}' (./kyc bench --help)`);
  }
  const rows = (get('rows') ?? rowIds.join(',')).split(',');
  const unknown = rows.filter((r) => !rowIds.includes(r));
  if (unknown.length > 0) throw new Error(`unknown rows: ${unknown.join(', ')} (rows: ${rowIds.join(', ')})`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    levels: numbers(get('levels') ?? '25,50,100,200', 'levels', 2000),
    httpLevels: numbers(get('http-levels') ?? '25,50,100', 'http-levels', 2000),
    warmup: numbers(get('warmup') ?? '3', 'warmup', 600)[0] ?? 3,
    window: numbers(get('window') ?? '10', 'window', 3600)[0] ?? 10,
    rows: new Set(rows),
    out: resolve(get('out') ?? join(ROOT, 'bench', 'results', stamp)),
  };
}

function pick(certified: readonly Certified[], i: number): Certified {
  const entry = certified[i % Math.max(1, certified.length)];
  if (entry === undefined) throw new Error('no person certified yet: run the certify row first');
  return entry;
}

function ledgerRows(
  asCertifier: KycLedger,
  asCertifierSoftware: KycLedger,
  asBank: KycLedger,
  baseline: Contract,
  certified: Certified[],
): RowSpec[] {
  const value = randomBytes(48).toString('base64url'); // ~ the size of a small record's digest fields
  const run = randomBytes(4).toString('hex');
  return [
    {
      id: 'baseline-put',
      operation: 'Baseline put',
      kind: 'submit',
      task: (i) => baseline.submitTransaction('Put', `bench-${run}-${String(i)}`, value),
    },
    {
      id: 'certify',
      operation: 'Certify',
      kind: 'submit',
      baseline: 'Baseline put',
      task: () => certifyOne(asCertifier, certified),
    },
    {
      id: 'certify-software',
      operation: 'Certify (software client key)',
      kind: 'submit',
      baseline: 'Baseline put',
      task: () => certifyOne(asCertifierSoftware, certified),
    },
    {
      id: 'verify',
      operation: 'VerifyPresentation',
      kind: 'submit',
      baseline: 'Baseline put',
      task: (i) => verifyOne(asBank, pick(certified, i)),
    },
    {
      id: 'baseline-get',
      operation: 'Baseline get',
      kind: 'evaluate',
      task: (i) => baseline.evaluateTransaction('Get', `bench-${run}-${String(i % 100)}`),
    },
    {
      id: 'is-verified',
      operation: 'IsVerified',
      kind: 'evaluate',
      baseline: 'Baseline get',
      task: (i) => asBank.isVerified(pick(certified, i).person.id, 2, ['CertifierMSP']),
    },
    {
      id: 'get-attestation',
      operation: 'GetAttestation',
      kind: 'evaluate',
      baseline: 'Baseline get',
      task: (i) => asBank.getAttestation(pick(certified, i).person.id, 'CertifierMSP', 'identity'),
    },
  ];
}

function httpRows(paths: () => HttpPaths): RowSpec[] {
  return [
    {
      id: 'http-verify',
      operation: 'Bank verification (HTTP)',
      kind: 'http',
      baseline: 'Baseline put',
      http: true,
      task: (i) => paths().bankVerification(i),
    },
    {
      id: 'http-approve',
      operation: 'Certifier approval (HTTP)',
      kind: 'http',
      baseline: 'Baseline put',
      http: true,
      // Enough pending requests for 400/s (10/s per call in flight below that) over the warm-up and window,
      // prepared before them (not timed); the window ends early if they run out.
      prepare: (inFlight, seconds) =>
        paths().preparePendingCertifications(Math.ceil(Math.min(400, inFlight * 10) * seconds), inFlight),
      task: (i) => paths().certifierApproval(i),
    },
  ];
}

async function measureRow(
  spec: RowSpec,
  inFlight: number,
  options: Options,
  sample: () => CpuSample,
): Promise<BenchRow> {
  const limit = await spec.prepare?.(inFlight, options.warmup + options.window);
  let before: CpuSample | undefined;
  let after: CpuSample | undefined;
  const result = await runWindow(
    `${spec.operation} @${String(inFlight)}`,
    {
      inFlight,
      warmupSeconds: options.warmup,
      windowSeconds: options.window,
      ...(limit === undefined ? {} : { limit }),
      onWindowStart: () => (before = sample()),
      onWindowEnd: () => (after = sample()),
    },
    spec.task,
  );
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const ok = result.latenciesMs.length;
  return {
    operation: spec.operation,
    kind: spec.kind,
    ...(spec.baseline === undefined ? {} : { baseline: spec.baseline }),
    inFlight,
    ops: ok + result.failures,
    failures: result.failures,
    seconds: result.seconds,
    tps: ok / result.seconds,
    latencyMs: {
      p50: percentile(sorted, 50),
      p95: percentile(sorted, 95),
      p99: percentile(sorted, 99),
      max: sorted[sorted.length - 1] ?? Number.NaN,
    },
    cpuMsPerOp: before !== undefined && after !== undefined ? cpuPerOp(before, after, ok) : {},
  };
}

function withRatios(rows: readonly BenchRow[]): BenchRow[] {
  return rows.map((row) => {
    const base = rows.find((r) => r.operation === row.baseline && r.inFlight === row.inFlight);
    return base === undefined || base.tps === 0 ? row : { ...row, ratio: row.tps / base.tps };
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), ROW_IDS);
  if (options === undefined) {
    process.stdout.write(USAGE.replace('{ROWS}', ROW_IDS.join(', ')));
    return;
  }
  const instance = process.env.KYC_INSTANCE ?? 'main';
  const config = loadNetworkConfig(networkConfigPath());
  const hsm = await openNetworkHsm(config);
  const officer = await connectUser(hsm, config, 'CertifierMSP', 'officer1');
  const verifier = await connectUser(hsm, config, 'BankMSP', 'verifier1');
  const officerSoftware = await connectSoftwareUser(config, 'certifier', 'CertifierMSP', 'officer1');
  let services: BenchServices | undefined;
  const ledgerFor = (gateway: typeof officer.gateway, mspId: string): KycLedger =>
    newKycLedger({
      contract: gateway.getNetwork(config.channel).getContract('kyc'),
      gateway,
      channel: config.channel,
      mspId,
    });
  try {
    const certified: Certified[] = [];
    const baseline = officer.gateway.getNetwork(config.channel).getContract('baseline');
    let paths: HttpPaths | undefined;
    const specs = [
      ...ledgerRows(
        ledgerFor(officer.gateway, 'CertifierMSP'),
        ledgerFor(officerSoftware.gateway, 'CertifierMSP'),
        ledgerFor(verifier.gateway, 'BankMSP'),
        baseline,
        certified,
      ),
      ...httpRows(() => {
        if (paths === undefined) throw new Error('the HTTP paths are not set up');
        return paths;
      }),
    ].filter((s) => options.rows.has(s.id));
    const sample = cpuSampler(instance, () =>
      (services?.processes ?? []).flatMap((p) => (p.pid === undefined ? [] : [[p.pid, 'service'] as const])),
    );
    process.stdout.write(
      `bench on instance ${instance}: levels ${options.levels.join(',')} (HTTP ${options.httpLevels.join(',')}), ` +
        `${String(options.warmup)} s warm-up + ${String(options.window)} s window per row; client keys in the HSM ` +
        `unless the row says otherwise\n`,
    );
    const rows: BenchRow[] = [];
    const report = (row: BenchRow): void => {
      rows.push(row);
      printRows([row], rows.length === 1);
    };
    for (const level of options.levels) {
      for (const spec of specs.filter((s) => s.http !== true)) report(await measureRow(spec, level, options, sample));
    }
    const http = specs.filter((s) => s.http === true);
    if (http.length > 0) {
      process.stdout.write('starting a certifier and a bank service for the HTTP rows (ports + 100)\n');
      services = await startBenchServices('bench', 100);
      paths = await httpPaths(services, 50);
      for (const level of options.httpLevels) {
        for (const spec of http) report(await measureRow(spec, level, options, sample));
      }
    }
    const result: BenchReport = {
      startedAt: new Date().toISOString(),
      host: { cpus: cpus().length, node: process.version, memoryGiB: Math.round(totalmem() / 2 ** 30) },
      network: { instance, consensus: config.consensus },
      clientKeys: 'hsm',
      warmupSeconds: options.warmup,
      windowSeconds: options.window,
      rows: withRatios(rows),
    };
    process.stdout.write('\nall rows, with the ratio to the baseline at the same level in flight:\n');
    printRows(result.rows, true);
    printTargets(result.rows);
    mkdirSync(options.out, { recursive: true });
    const json = join(options.out, 'results.json');
    writeFileSync(json, `${JSON.stringify(result, null, 2)}\n`);
    chmodSync(json, 0o644);
    const charts = await writeCharts(result, options.out);
    process.stdout.write(`\nresults: ${json}\ncharts: ${charts.join(' ')}\n`);
  } finally {
    if (services !== undefined) await stopBenchServices(services);
    officerSoftware.close();
    await officer.close();
    await verifier.close();
    await hsm.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
