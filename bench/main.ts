import { randomBytes } from 'node:crypto';
import { connectUser, loadNetworkConfig, networkConfigPath, openNetworkHsm } from '../gateway/src/fabric';
import type { HsmToken } from '../gateway/src/hsm';
import { newKycLedger, type KycLedger } from '../gateway/src/ledger/kyc-ledger';
import {
  certificationRequest,
  commitmentFor,
  consentFor,
  newPerson,
  salt,
  uniqueClaims,
} from '../protocol/testing/simulated-person';
import { percentile, runBounded } from './load';

/**
 * `./kyc bench`: throughput and latency of the ledger operations and the HSM on the running network,
 * printed as a table. Bounded: each row runs a fixed number of operations at a fixed concurrency.
 * Options: `--ops N` (default 200), `--concurrency C` (default 20).
 */

interface Row {
  readonly operation: string;
  readonly ops: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly failures: number;
}

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? fallback : Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 100_000) throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** Runs `ops` calls of `task` with at most `concurrency` in flight; records each call's latency. */
async function measure(
  operation: string,
  ops: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<Row> {
  return { operation, ops, concurrency, ...(await runBounded(operation, ops, concurrency, task)) };
}

function printTable(rows: readonly Row[]): void {
  const header = ['operation', 'ops', 'conc', 'failed', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'];
  const lines = rows.map((r) => {
    const sorted = [...r.latenciesMs].sort((a, b) => a - b);
    const fmt = (n: number): string => (Number.isNaN(n) ? '-' : n.toFixed(1));
    return [
      r.operation,
      String(r.ops),
      String(r.concurrency),
      String(r.failures),
      ((r.ops - r.failures) / r.seconds).toFixed(1),
      fmt(percentile(sorted, 50)),
      fmt(percentile(sorted, 95)),
      fmt(percentile(sorted, 99)),
      fmt(sorted[sorted.length - 1] ?? Number.NaN),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  process.stdout.write(`\n${render(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const line of lines) process.stdout.write(`${render(line)}\n`);
}

async function certifyOne(
  ledger: KycLedger,
): Promise<{ personId: string; disclosure: string; person: ReturnType<typeof newPerson> }> {
  const person = newPerson();
  const claims = uniqueClaims();
  const request = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt: salt() });
  const { commitment, disclosures } = commitmentFor(claims);
  await ledger.certify(person.id, request, JSON.parse(commitment));
  return { personId: person.id, disclosure: disclosures.given_name ?? '', person };
}

async function main(): Promise<void> {
  const ops = option('ops', 200);
  const concurrency = option('concurrency', 20);
  const instance = process.env.KYC_INSTANCE ?? 'main';
  const config = loadNetworkConfig(networkConfigPath());
  const hsm = await openNetworkHsm(config);
  const officer = await connectUser(hsm, config, 'CertifierMSP', 'officer1');
  const verifier = await connectUser(hsm, config, 'BankMSP', 'verifier1');
  const channel = config.channel;
  const kycAsCertifier = newKycLedger({
    contract: officer.gateway.getNetwork(channel).getContract('kyc'),
    gateway: officer.gateway,
    channel,
    mspId: 'CertifierMSP',
  });
  const kycAsBank = newKycLedger({
    contract: verifier.gateway.getNetwork(channel).getContract('kyc'),
    gateway: verifier.gateway,
    channel,
    mspId: 'BankMSP',
  });
  const token: HsmToken = officer.user.token;
  process.stdout.write(
    `benchmark on instance ${instance}: ${ops} operations per row, ${concurrency} in flight (rss before ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)\n`,
  );
  try {
    const rows: Row[] = [];
    const digest = randomBytes(32);
    rows.push(
      await measure('HSM ECDSA sign (module)', ops * 10, concurrency * 5, () =>
        token.signDigest(officer.user.identity.ski, digest),
      ),
    );
    const certified: Awaited<ReturnType<typeof certifyOne>>[] = [];
    rows.push(
      await measure('Certify (submit, 2 orgs)', ops, concurrency, async () => {
        certified.push(await certifyOne(kycAsCertifier));
      }),
    );
    rows.push(
      await measure('IsVerified (evaluate)', ops * 5, concurrency, (i) =>
        kycAsBank.isVerified(certified[i % certified.length]?.personId ?? '', 2, ['CertifierMSP']),
      ),
    );
    rows.push(
      await measure('VerifyPresentation (submit, bank)', certified.length, concurrency, async (i) => {
        const entry = certified[i];
        if (entry === undefined) throw new Error('no certified person');
        const registrationId = randomBytes(16).toString('base64url');
        const nonce = randomBytes(16).toString('base64url');
        const consent = await consentFor(entry.person, {
          aud: 'BankMSP',
          registrationId,
          nonce,
          disclosures: [entry.disclosure],
        });
        const presentation = {
          personId: entry.personId,
          certifier: 'CertifierMSP',
          kind: 'identity',
          nonce,
          consent,
          disclosures: [entry.disclosure],
          trustedCertifiers: ['CertifierMSP'],
          minLevel: 2,
          requestedClaims: ['given_name'],
        };
        await kycAsBank.verifyPresentation(registrationId, presentation);
      }),
    );
    printTable(rows);
    process.stdout.write(
      `\nrss after ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; HSM session pool ${JSON.stringify(token.stats())}\n`,
    );
  } finally {
    await officer.close();
    await verifier.close();
    await hsm.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
