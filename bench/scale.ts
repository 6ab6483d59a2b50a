import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { connectUser, loadNetworkConfig, networkConfigPath, openNetworkHsm } from '../gateway/src/fabric';
import { newKycLedger, type KycLedger } from '../gateway/src/ledger/kyc-ledger';
import { certifyOne, type Certified } from './ledger-ops';
import { percentile, runBounded, runWindow } from './load';

/**
 * `./kyc bench scale`: how reads and certification cost as the ledger grows. Loads attestations with a
 * bounded loader (Certify at a fixed level in flight, progress on stderr) up to each size, then measures
 * GetAttestation, IsVerified and Certify in a timed window, and the ledger's bytes per attestation on one peer
 * (blocks, state and history databases: `du` of its ledger directory). Options: --help.
 */

const ROOT = resolve(__dirname, '../..');
const USAGE = `Usage: ./kyc bench scale [--sizes 1000,10000,100000] [--in-flight 100] [--window 8] [--out DIR]

Loads attestations up to each size (counted from what this command loaded before on the instance, kept in
network/data/<instance>/bench-scale-loaded) and measures reads and Certify at each. 10^5 takes about
25 minutes on 2 cores. Results: a table and <out>/scale.json (default bench/results/scale-<time>).
`;

interface ScaleRow {
  readonly attestations: number;
  readonly ledgerBytesPerAttestation: number;
  readonly operations: Record<string, { tps: number; p50: number; p95: number; p99: number; failures: number }>;
}

/** The loader's own state beside the ledger: owner-only, like everything under network/data. */
function writeOwnerOnly(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

function option(argv: readonly string[], name: string, fallback: string): string {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? fallback : (argv[i + 1] ?? '');
}

function ledgerBytes(instance: string, peer: string): number {
  const dir = join(ROOT, 'network', 'data', instance, peer, 'ledger', 'ledgersData');
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const sizes = option(argv, 'sizes', '1000,10000,100000').split(',').map(Number);
  const inFlight = Number(option(argv, 'in-flight', '100'));
  const windowSeconds = Number(option(argv, 'window', '8'));
  if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 1_000_000) || !(inFlight >= 1 && windowSeconds >= 1)) {
    throw new Error('--sizes takes whole numbers up to 10^6; --in-flight and --window positive numbers');
  }
  const instance = process.env.KYC_INSTANCE ?? 'main';
  const stateFile = join(ROOT, 'network', 'data', instance, 'bench-scale-loaded');
  // Person ids (public did:keys) spread over everything loaded so far, so a later run reads across the range.
  const sampleFile = join(ROOT, 'network', 'data', instance, 'bench-scale-sample.json');
  const out = resolve(
    option(argv, 'out', join(ROOT, 'bench', 'results', `scale-${new Date().toISOString().replace(/[:.]/g, '-')}`)),
  );
  const config = loadNetworkConfig(networkConfigPath());
  const hsm = await openNetworkHsm(config);
  const officer = await connectUser(hsm, config, 'CertifierMSP', 'officer1');
  const verifier = await connectUser(hsm, config, 'BankMSP', 'verifier1');
  const ledger = (c: typeof officer, mspId: string): KycLedger =>
    newKycLedger({
      contract: c.gateway.getNetwork(config.channel).getContract('kyc'),
      gateway: c.gateway,
      channel: config.channel,
      mspId,
    });
  const asCertifier = ledger(officer, 'CertifierMSP');
  const asBank = ledger(verifier, 'BankMSP');
  const rows: ScaleRow[] = [];
  try {
    let loaded = existsSync(stateFile) ? Number(readFileSync(stateFile, 'utf8')) || 0 : 0;
    const sample: string[] = existsSync(sampleFile) ? (JSON.parse(readFileSync(sampleFile, 'utf8')) as string[]) : [];
    for (const size of [...sizes].sort((a, b) => a - b)) {
      const missing = Math.max(0, size - loaded);
      const bytesBefore = ledgerBytes(instance, 'peer0.bank');
      if (missing > 0) {
        process.stderr.write(`loading ${String(missing)} attestations (${String(loaded)} → ${String(size)})\n`);
        const started = Date.now();
        let done = 0;
        const progress = setInterval(() => {
          process.stderr.write(
            `  ${String(done)}/${String(missing)} (${((done * 1000) / (Date.now() - started)).toFixed(0)}/s)\n`,
          );
        }, 15_000);
        const loadedNow: Certified[] = [];
        const result = await runBounded('loading', missing, inFlight, async () => {
          await certifyOne(asCertifier, loadedNow);
          done++;
        }).finally(() => {
          clearInterval(progress);
        });
        loaded += loadedNow.length;
        writeOwnerOnly(stateFile, String(loaded));
        // Reads pick people from across the whole loaded range: keep a spread sample (at most 4000).
        const step = Math.max(1, Math.floor(loadedNow.length / 2000));
        for (let i = 0; i < loadedNow.length; i += step) sample.push(loadedNow[i]?.person.id ?? '');
        while (sample.length > 4000) sample.splice(Math.floor(Math.random() * sample.length), 1);
        writeOwnerOnly(sampleFile, JSON.stringify(sample.filter((id) => id !== '')));
        process.stderr.write(`  loaded in ${result.seconds.toFixed(0)} s, ${String(result.failures)} failed\n`);
      }
      const perAttestation = missing > 0 ? (ledgerBytes(instance, 'peer0.bank') - bytesBefore) / missing : Number.NaN;
      // Nothing loaded by this run (the instance holds the size already): certify a few to read back.
      if (sample.length === 0) {
        const few: Certified[] = [];
        await runBounded('certifying people to read', 20, 10, () => certifyOne(asCertifier, few));
        sample.push(...few.map((c) => c.person.id));
      }
      const pick = (i: number): string => sample[(i * 7919) % sample.length] ?? '';
      const measure = async (name: string, task: (i: number) => Promise<unknown>) => {
        const r = await runWindow(name, { inFlight: 50, warmupSeconds: 2, windowSeconds }, task);
        const sorted = [...r.latenciesMs].sort((a, b) => a - b);
        return [
          name,
          {
            tps: r.latenciesMs.length / r.seconds,
            p50: percentile(sorted, 50),
            p95: percentile(sorted, 95),
            p99: percentile(sorted, 99),
            failures: r.failures,
          },
        ] as const;
      };
      const operations = Object.fromEntries([
        await measure('GetAttestation', (i) => asBank.getAttestation(pick(i), 'CertifierMSP', 'identity')),
        await measure('IsVerified', (i) => asBank.isVerified(pick(i), 2, ['CertifierMSP'])),
        await measure('Certify', () => certifyOne(asCertifier, [])),
      ]);
      loaded += Math.round((operations.Certify?.tps ?? 0) * windowSeconds);
      writeOwnerOnly(stateFile, String(loaded));
      rows.push({ attestations: size, ledgerBytesPerAttestation: perAttestation, operations });
      printRow(rows[rows.length - 1] as ScaleRow, rows.length === 1);
    }
    mkdirSync(out, { recursive: true });
    const file = join(out, 'scale.json');
    writeFileSync(file, `${JSON.stringify({ startedAt: new Date().toISOString(), instance, rows }, null, 2)}\n`);
    chmodSync(file, 0o644);
    process.stdout.write(`\nresults: ${file}\n`);
  } finally {
    await officer.close();
    await verifier.close();
    await hsm.close();
  }
}

function printRow(row: ScaleRow, header: boolean): void {
  if (header) {
    process.stdout.write(
      `\n${'attestations'.padStart(12)}  ${'bytes/att'.padStart(9)}  ${['GetAttestation', 'IsVerified', 'Certify']
        .map((o) => `${o} tx/s, p50, p99 ms`.padStart(34))
        .join('  ')}\n`,
    );
  }
  const cells = ['GetAttestation', 'IsVerified', 'Certify'].map((o) => {
    const m = row.operations[o];
    return (m === undefined ? '-' : `${m.tps.toFixed(0)}, ${m.p50.toFixed(0)}, ${m.p99.toFixed(0)}`).padStart(34);
  });
  process.stdout.write(
    `${String(row.attestations).padStart(12)}  ${Number.isNaN(row.ledgerBytesPerAttestation) ? '-'.padStart(9) : row.ledgerBytesPerAttestation.toFixed(0).padStart(9)}  ${cells.join('  ')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`bench scale failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
