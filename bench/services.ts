import { generateKeyPairSync } from 'node:crypto';
import { openRegistration, scanRegistration } from '../demo/src/flow';
import { trustBundleFromNetwork } from '../gateway/src/fabric/trust-bundle';
import { loadNetworkConfig, networkConfigPath, serviceOf } from '../gateway/src/fabric';
import {
  buildPresentation,
  certifierClient,
  createCertificationRequest,
  credentialFromApproval,
  personKeyFromPrivateKey,
  submitPresentation,
  type Credential,
  type PersonKey,
} from '../wallet/src';
import { uniqueDocumentHolder } from '../intake/testing/person';
import { percentile } from './load';
import { startBenchServices, stopBenchServices, type BenchServices } from './service-processes';

/**
 * `./kyc bench services`: the services' end-to-end request times with the store encrypted under the HSM KEK
 * (production) and in plaintext (`KYC_BENCH_PLAINTEXT_STORE=1`, a switch for this comparison only). Starts
 * its own certifier and bank processes for each mode, on spare ports (service port + 70 / + 80) with
 * throwaway data directories (SQLite), beside whatever runs; each worker takes a person through one mode and
 * then the other (alternating which goes first), so load from other work on the machine falls on both. Options: `--ops N` (default 20 per
 * mode), `--concurrency C` (default 4).
 */

type Mode = 'encrypted' | 'plaintext';
const MODES: readonly Mode[] = ['plaintext', 'encrypted'];
const NETWORK_JSON = networkConfigPath();

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? fallback : Number(process.argv[index + 1]);
  if (!Number.isInteger(value) || value < 1 || value > 10_000) throw new Error(`--${name} must be a positive integer`);
  return value;
}

interface Services extends BenchServices {
  readonly mode: Mode;
}

async function startServices(mode: Mode, portShift: number): Promise<Services> {
  const services = await startBenchServices(
    mode,
    portShift,
    mode === 'plaintext' ? { KYC_BENCH_PLAINTEXT_STORE: '1' } : {},
  );
  process.stderr.write(`bench services: ${mode} services up\n`);
  return { ...services, mode };
}

const latencies = new Map<string, number[]>();
function record(mode: Mode, operation: string, ms: number): void {
  const key = `${mode}|${operation}`;
  latencies.set(key, [...(latencies.get(key) ?? []), ms]);
}

async function timed<T>(mode: Mode, operation: string, task: () => Promise<T>): Promise<T> {
  const t0 = process.hrtime.bigint();
  const result = await task();
  record(mode, operation, Number(process.hrtime.bigint() - t0) / 1e6);
  return result;
}

/** One person through both services; each timed step is what a client waits for. */
async function onePerson(s: Services, trust: Record<string, string[]>): Promise<void> {
  const key: PersonKey = personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const { claims, evidence } = await uniqueDocumentHolder();
  const certifier = certifierClient(s.certifierUrl);
  const { id, pending, nonceAnswer } = await timed(s.mode, 'certification submit (nonce + submit)', async () => {
    const nonceAnswer = await certifier.requestNonce();
    const { nonce, certifier: mspId } = nonceAnswer;
    const made = await createCertificationRequest({ key, certifier: mspId, nonce, kind: 'identity', claims });
    const submitted = await certifier.submit({
      personId: key.did,
      kind: 'identity',
      claims,
      claimsSalt: made.claimsSalt,
      request: made.request,
    });
    return {
      id: submitted.id,
      nonceAnswer,
      pending: {
        certifierUrl: s.certifierUrl,
        certifier: mspId,
        kind: 'identity',
        personId: key.did,
        claimsHash: made.payload.claims_hash,
        claimsSalt: made.claimsSalt,
        requestedAt: new Date().toISOString(),
      },
    };
  });
  await timed(s.mode, 'evidence (HSM decrypt, MRZ OCR, face match)', () =>
    certifier.submitEvidence(id, key, nonceAnswer, evidence),
  );
  await timed(s.mode, 'certification approve (ledger)', () =>
    s.certOfficer.post(`/v1/certifications/${id}/approve`, { level: 2 }),
  );
  const state = await timed(s.mode, 'collect (disclosures once)', () => certifier.collect(id, key, pending.certifier));
  const credential: Credential = credentialFromApproval({ ...pending, id }, state);
  const opened = await openRegistration(s.bankOfficer, { claims: ['given_name'], purpose: 'bench' });
  const registration = scanRegistration(opened.png, trust);
  const { jwe } = await buildPresentation({
    key,
    registration: registration.payload,
    credential,
    claimNames: ['given_name'],
  });
  await timed(s.mode, 'bank presentation (ledger)', () => submitPresentation(registration.payload.endpoint, jwe));
}

/** Each worker takes one person through every mode in turn, so both modes meet the same moment's load. */
async function run(
  all: readonly Services[],
  ops: number,
  concurrency: number,
  trust: Record<string, string[]>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ops) {
      next++;
      for (const s of next % 2 === 0 ? all : [...all].reverse()) await onePerson(s, trust);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

function printTable(): void {
  const operations = [...new Set([...latencies.keys()].map((k) => k.split('|')[1] ?? ''))];
  const header = ['operation', 'store', 'ops', 'mean ms', 'p50 ms', 'p95 ms', 'overhead (mean)', 'overhead (p50)'];
  const lines: string[][] = [];
  for (const operation of operations) {
    const plain = latencies.get(`plaintext|${operation}`) ?? [];
    for (const mode of MODES) {
      const values = [...(latencies.get(`${mode}|${operation}`) ?? [])].sort((a, b) => a - b);
      const sortedPlain = [...plain].sort((a, b) => a - b);
      const ratio = (a: number, b: number): string =>
        mode === 'encrypted' ? `${((a / b - 1) * 100).toFixed(1)} %` : '';
      lines.push([
        operation,
        mode,
        String(values.length),
        mean(values).toFixed(1),
        percentile(values, 50).toFixed(1),
        percentile(values, 95).toFixed(1),
        ratio(mean(values), mean(plain)),
        ratio(percentile(values, 50), percentile(sortedPlain, 50)),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const render = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(' | ')} |`;
  process.stdout.write(`\n${render(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n`);
  for (const line of lines) process.stdout.write(`${render(line)}\n`);
}

async function main(): Promise<void> {
  const ops = option('ops', 20);
  const concurrency = option('concurrency', 4);
  const trust = trustBundleFromNetwork(NETWORK_JSON, [serviceOf(loadNetworkConfig(NETWORK_JSON), 'bank').mspId]);
  const started: Services[] = [];
  try {
    for (const [i, mode] of MODES.entries()) started.push(await startServices(mode, 70 + 10 * i));
    process.stderr.write(`bench services: ${String(ops)} people per mode, concurrency ${String(concurrency)}\n`);
    await run(started, ops, concurrency, trust);
    printTable();
  } finally {
    await Promise.all(started.map(stopBenchServices));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench services: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
