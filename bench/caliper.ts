import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadNetworkConfig, networkConfigPath, orgOf } from '../gateway/src/fabric';
import { softwareIdentityDir } from './software-user';

/**
 * `./kyc bench caliper`: Hyperledger Caliper 0.6 (`fabric:fabric-gateway` binding) against the local
 * network, for users who benchmark Fabric with it. Caliper cannot sign with PKCS#11 keys, so its two
 * identities are software-key twins of officer1 and verifier1 (`network.sh software-identity`), enrolled
 * for this purpose alone. Writes the network configuration, connection profiles and benchmark
 * configuration into the output directory, then runs `caliper launch manager` with the workloads in
 * bench/caliper/workloads. Caliper's own report (report.html) lands there too. Options: --help.
 */

const ROOT = resolve(__dirname, '../..');
const CALIPER = join(ROOT, 'bench', 'caliper');
const USAGE = `Usage: ./kyc bench caliper [--seconds S] [--load N] [--out DIR]

Runs Caliper 0.6 rounds (baseline put, Certify, baseline get, GetAttestation) for S seconds each (default
15) with N transactions in flight (fixed-load, default 100) over two Caliper workers. Client keys are
software keys (Caliper cannot use PKCS#11): docs/performance.md. Output: DIR (default
bench/results/caliper-<time>), with Caliper's report.html.
`;

function option(argv: readonly string[], name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  const value = i < 0 ? fallback : Number(argv[i + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 100_000)
    throw new Error(`--${name} takes a positive whole number`);
  return value;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  chmodSync(path, 0o600); // names key files
}

async function identity(org: string, user: string, name: string) {
  const msp = await softwareIdentityDir(org, user);
  const key = readdirSync(join(msp, 'keystore')).find((f) => f.endsWith('_sk'));
  if (key === undefined) throw new Error(`no key in ${msp}/keystore`);
  return {
    name,
    clientPrivateKey: { path: join(msp, 'keystore', key) },
    clientSignedCert: { path: join(msp, 'signcerts', 'cert.pem') },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const seconds = option(argv, 'seconds', 15);
  const load = option(argv, 'load', 100);
  const outIndex = argv.indexOf('--out');
  const out = resolve(
    outIndex < 0
      ? join(ROOT, 'bench', 'results', `caliper-${new Date().toISOString().replace(/[:.]/g, '-')}`)
      : (argv[outIndex + 1] ?? ''),
  );
  mkdirSync(out, { recursive: true });
  const config = loadNetworkConfig(networkConfigPath());
  const organizations = [];
  for (const [org, mspId, user, name] of [
    ['certifier', 'CertifierMSP', 'officer1', 'officer'],
    ['bank', 'BankMSP', 'verifier1', 'verifier'],
  ] as const) {
    const peer = orgOf(config, mspId).peers[0];
    if (peer === undefined) throw new Error(`${mspId} has no peer`);
    const profile = join(out, `connection-${org}.json`);
    writeJson(profile, {
      name: `kyc-${org}`,
      version: '1.0.0',
      client: { organization: org },
      organizations: { [org]: { mspid: mspId, peers: [peer.name] } },
      peers: {
        [peer.name]: {
          url: `grpcs://${peer.endpoint}`,
          tlsCACerts: { path: peer.tlsRootCertPath },
          // Node certificates name localhost, not the loopback address (RFC 6066 forbids IPs as server names).
          grpcOptions: { 'ssl-target-name-override': 'localhost', hostnameOverride: 'localhost' },
        },
      },
    });
    organizations.push({
      mspid: mspId,
      identities: { certificates: [await identity(org, user, name)] },
      connectionProfile: { path: profile, discover: false },
    });
  }
  const network = join(out, 'network.json');
  writeJson(network, {
    name: 'kyc-local',
    version: '2.0.0',
    caliper: { blockchain: 'fabric' },
    channels: [{ channelName: config.channel, contracts: [{ id: 'kyc' }, { id: 'baseline' }] }],
    organizations,
  });
  const round = (label: string, module: string, args: Record<string, string> = {}) => ({
    label,
    txDuration: seconds,
    // fixed-load keeps this many unfinished per worker; it starts at startTps and adapts the send rate.
    rateControl: { type: 'fixed-load', opts: { transactionLoad: Math.max(1, Math.floor(load / 2)), startTps: 50 } },
    workload: { module: join(CALIPER, 'workloads', module), arguments: args },
  });
  const benchmark = join(out, 'benchmark.json');
  writeJson(benchmark, {
    test: {
      name: 'kyc',
      description: 'kyc contract beside the trivial baseline contract, Caliper 0.6, fabric-gateway binding',
      workers: { number: 2 },
      rounds: [
        round('Baseline put', 'baseline-put.js'),
        round('Certify', 'kyc.js', { operation: 'Certify' }),
        round('Baseline get', 'baseline-get.js'),
        round('GetAttestation', 'kyc.js', { operation: 'GetAttestation' }),
      ],
    },
  });
  const caliper = spawnSync(
    'npx',
    [
      'caliper',
      'launch',
      'manager',
      '--caliper-workspace',
      CALIPER,
      '--caliper-networkconfig',
      network,
      '--caliper-benchconfig',
      benchmark,
      '--caliper-flow-only-test',
      '--caliper-report-path',
      join(out, 'report.html'),
    ],
    { cwd: CALIPER, stdio: 'inherit' },
  );
  if (caliper.status !== 0) throw new Error(`caliper exited with ${String(caliper.status ?? caliper.signal)}`);
  process.stdout.write(`\ncaliper report: ${join(out, 'report.html')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench caliper failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
