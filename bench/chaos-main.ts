import { FAULT_KINDS, failures, formatReport, runChaos, type FaultKind } from './chaos';

/**
 * `./kyc chaos [--seconds S] [--rate R] [--down S] [--faults a,b,…]`: the fault suite against the running
 * system (bench/chaos.ts), its tables on stdout. Exit 1 when a request was lost, unacknowledged, duplicated or
 * left unknown, a fault did not heal, or the peers disagree at the end. The services are restarted with the load's limits and restored afterwards.
 */

const USAGE = `Usage: ./kyc chaos [--seconds S] [--rate R] [--down S] [--faults kind,…]

Mixed traffic through the running services (certifications approved, presentations verified, ledger reads)
at R operations per second for S seconds, while each fault kills one process with SIGKILL and restarts it
after --down seconds (services at once). Every request is then checked on the ledger by its own id.

  --seconds S   load duration (default 90)
  --rate R      operations started per second (default 10)
  --down S      seconds a killed node stays down (default 6)
  --faults …    comma-separated, in order (default all): ${FAULT_KINDS.join(', ')}
`;

function option(name: string, fallback: number, max: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? fallback : Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value <= 0 || value > max)
    throw new Error(`--${name} must be a number in (0, ${String(max)}]`);
  return value;
}

function faults(): FaultKind[] {
  const index = process.argv.indexOf('--faults');
  if (index < 0) return [...FAULT_KINDS];
  const named = (process.argv[index + 1] ?? '').split(',').filter((f) => f !== '');
  const unknown = named.filter((f) => !FAULT_KINDS.includes(f as FaultKind));
  if (unknown.length > 0) throw new Error(`unknown faults: ${unknown.join(', ')} (known: ${FAULT_KINDS.join(', ')})`);
  return named as FaultKind[];
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const report = await runChaos({
    seconds: option('seconds', 90, 3600),
    rate: option('rate', 10, 200),
    downSeconds: option('down', 6, 120),
    faults: faults(),
  });
  process.stdout.write(`${formatReport(report)}\n`);
  const failed = failures(report);
  process.stdout.write(failed.length === 0 ? 'chaos: passed\n' : `chaos: FAILED: ${failed.join('; ')}\n`);
  process.exitCode = failed.length === 0 ? 0 : 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
