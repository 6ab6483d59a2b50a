import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { certifyPerson, enrollOfficer, freshOfficerName, openRegistration, scanRegistration } from '../demo/src/flow';
import type { ServiceClient } from '../demo/src/service-client';
import { loadNetworkConfig, networkConfigPath, serviceOf, serviceReplicaUrl } from '../gateway/src/fabric';
import { trustBundleFromNetwork } from '../gateway/src/fabric/trust-bundle';
import { KycError, type Attestation, type Receipt } from '../protocol/src';
import {
  buildPresentation,
  certifierClient,
  createCertificationRequest,
  personKeyFromPrivateKey,
  submitPresentation,
  type Credential,
  type PersonKey,
} from '../wallet/src';

/**
 * The fault suite (`./kyc chaos`, and test/integration/faults.test.ts): mixed traffic through the running
 * services at a fixed rate — certifications approved, presentations verified, ledger reads — while a schedule
 * SIGKILLs and restarts nodes and services. Clients behave as the documented ones do: a KYC_UNAVAILABLE answer
 * (or no answer) is retried with the same request — the same approval, the same presentation — until a
 * deadline. Afterwards every request is looked up on the ledger by its own id and classified:
 *
 * - committed: answered success, on the ledger once;
 * - failed and absent: answered an error, not on the ledger;
 * - lost: answered success, not on the ledger (must be 0);
 * - unacknowledged: answered an error, on the ledger (must be 0: the client was told it failed);
 * - gave up: still KYC_UNAVAILABLE when the client's retry deadline passed, so the client knows the outcome
 *   is unknown (counted apart, with how many of them the ledger holds; 0 when every fault heals in time);
 * - duplicated: on the ledger more than once, or a record at a version a single approval cannot make (must be 0).
 *
 * Everything is bounded: the load's duration and rate, each request's retry deadline, each fault's down time.
 */

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);

export type FaultKind =
  'orderer-leader' | 'orderer-follower' | 'bank-peer' | 'bank-chaincode' | 'certifier-service' | 'bank-service';

export const FAULT_KINDS: readonly FaultKind[] = [
  'orderer-leader',
  'orderer-follower',
  'bank-peer',
  'bank-chaincode',
  'certifier-service',
  'bank-service',
];

export interface ChaosOptions {
  /** How long the load runs, in seconds. */
  readonly seconds: number;
  /** Operations started per second (each is 2–4 HTTP requests). */
  readonly rate: number;
  /** Faults, in order, spread evenly over the load. */
  readonly faults: readonly FaultKind[];
  /** How long a killed node stays down before it is restarted, in seconds. */
  readonly downSeconds: number;
  /** How long a client keeps retrying one request, in seconds (default 150: longer than the services' own
   * worst case, 8 attempts at ordering and a 60 s wait for the commit). */
  readonly retrySeconds?: number;
  /** The network instance (default KYC_INSTANCE, else main); its services are restarted for the run. */
  readonly instance?: string;
  readonly log?: (line: string) => void;
}

type OperationKind = 'certify' | 'verify' | 'read';
type Answer = 'ok' | 'error';

interface Operation {
  readonly kind: OperationKind;
  /** The request's own id: the certification id or the registration id (absent if refused before one existed). */
  id?: string;
  personId?: string;
  answer?: Answer;
  code?: string;
  message?: string;
  retries: number;
  readonly startedAt: number;
  endedAt?: number;
}

export interface FaultResult {
  readonly kind: FaultKind;
  readonly node: string;
  /** Seconds from the start of the load. */
  readonly killedAt: number;
  /** Seconds from the kill until the node or service answered its health check again. */
  readonly backAfter: number;
  /** Seconds from the kill until an operation started after the restart succeeded. */
  readonly recoveredAfter: number | undefined;
  /** Operations started while it was down that were answered with an error. */
  readonly failedWhileDown: number;
  /** Why it could not be restarted (the run then fails). */
  readonly error?: string;
}

/** One fault as it happened (epoch milliseconds). */
interface FaultRun {
  readonly kind: FaultKind;
  readonly node: string;
  readonly killedAt: number;
  readonly backAt: number;
  /** Why the restart failed, if it did. */
  readonly error?: string;
}

/** The last lines a failed script printed, for the report. */
function scriptFailure(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr ?? e.message ?? String(err)).trim().split('\n').slice(-3).join(' / ');
}

export interface ChaosReport {
  readonly seconds: number;
  readonly requests: Readonly<Record<OperationKind, number>>;
  readonly committed: number;
  readonly failedAndAbsent: number;
  readonly lost: number;
  readonly unacknowledged: number;
  readonly duplicated: number;
  /** Still unavailable at the client's deadline (outcome unknown to the client), and of those on the ledger. */
  readonly gaveUp: number;
  readonly gaveUpCommitted: number;
  readonly readsOk: number;
  readonly readsFailed: number;
  readonly retried: number;
  /** Answers that were errors, by operation and code, with the first message of each. */
  readonly errorCodes: Readonly<Record<string, number>>;
  readonly errorExamples: Readonly<Record<string, string>>;
  readonly faults: readonly FaultResult[];
  /** The peers' heights and current block hashes at the end, as `./kyc status` prints them. */
  readonly peers: readonly { node: string; height: number; hash: string }[];
  readonly peersAgree: boolean;
  /** Each violation, for the report: kind, id, what the client was told, what the ledger holds. */
  readonly violations: readonly string[];
}

/** The services' limits for the load: one client address makes every request, so per-client caps go up. */
export const CHAOS_SERVICE_ENV: Readonly<Record<string, string>> = {
  KYC_RATE_LIMIT: '1000000',
  KYC_MAX_NONCES_PER_CLIENT: '10000',
  KYC_MAX_OPEN_REGISTRATIONS_PER_OFFICER: '100000',
  KYC_MAX_OPEN_REGISTRATIONS: '100000',
  KYC_SWEEP_SECONDS: '5',
  // The load's people are certified without documents (level 1): the bank accepts that level for this run.
  KYC_MIN_LEVEL: '1',
};

/** The network instance under test: set by each run (one run at a time per process). */
let chaosInstance = process.env.KYC_INSTANCE ?? 'main';
const instance = (): string => chaosInstance;
const networkJson = (): string => networkConfigPath({ KYC_INSTANCE: chaosInstance });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function script(path: string, args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  return run('bash', [join(ROOT, path), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, KYC_INSTANCE: instance() },
    maxBuffer: 16 * 2 ** 20,
  });
}

/** Restarts both services with `env` added (the chaos limits, or `{}` to restore the usual ones). */
export async function restartServices(env: Readonly<Record<string, string>>): Promise<void> {
  await script('services/services.sh', ['stop']);
  await script('services/services.sh', ['start'], env);
}

/** The ordering leader now; waits (bounded) while an election is under way. */
async function leader(): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await script('network/network.sh', ['leader'])).stdout.trim();
    } catch (err) {
      if (attempt >= 30) throw err;
      await sleep(1000);
    }
  }
}

/** The node a fault kills, resolved when it strikes (the Raft leader moves). */
async function faultTarget(kind: FaultKind): Promise<string> {
  switch (kind) {
    case 'orderer-leader':
      return leader();
    case 'orderer-follower': {
      const current = await leader();
      const orderers = loadNetworkConfig(networkJson()).orderers.map((o) => o.name);
      const follower = orderers.find((name) => name !== current);
      if (follower === undefined) throw new Error('no follower orderer to kill');
      return follower;
    }
    case 'bank-peer':
      // The bank service sends its calls to its org's first peer until that one fails.
      return 'peer0.bank';
    case 'bank-chaincode':
      return 'cc-kyc.bank';
    case 'certifier-service':
      return 'certifier';
    case 'bank-service':
      return 'bank';
  }
}

const isService = (kind: FaultKind): boolean => kind.endsWith('-service');

async function kill(kind: FaultKind, node: string): Promise<void> {
  if (!isService(kind)) {
    await script('network/network.sh', ['kill', node]);
    return;
  }
  const pidFile = join(ROOT, 'services', 'data', instance(), 'pids', `${node}.pid`);
  process.kill(Number(readFileSync(pidFile, 'utf8').trim()), 'SIGKILL');
}

async function revive(kind: FaultKind, node: string): Promise<void> {
  if (isService(kind)) await script('services/services.sh', ['start'], CHAOS_SERVICE_ENV);
  else await script('network/network.sh', ['restart', node]);
}

/**
 * Runs `step` again while it answers KYC_UNAVAILABLE (or nothing), with the same request, until `deadline`,
 * backing off 1, 2, 4, 8, 8… s.
 */
async function retrying<T>(op: Operation, deadline: number, step: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await step();
    } catch (err) {
      if (!(err instanceof KycError) || err.code !== 'KYC_UNAVAILABLE' || Date.now() >= deadline) throw err;
      // Exponential backoff with jitter, as a well-behaved client does: a service coming back from a restart
      // meets its clients' retries spread out, not all at once.
      await sleep(Math.min(1000 * 2 ** op.retries, 8000) + Math.random() * 500);
      op.retries++;
    }
  }
}

interface Actors {
  readonly certifierUrl: string;
  readonly certOfficer: ServiceClient;
  readonly bankOfficer: ServiceClient;
  readonly trust: Record<string, string[]>;
  /** People certified before the load, who present at the bank during it. */
  readonly people: readonly { key: PersonKey; credential: Credential }[];
}

const newPersonKey = (): PersonKey =>
  personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);

const CLAIMS = { given_name: 'Chaos', family_name: 'Monkey', birthdate: '1990-01-01' };

async function certify(actors: Actors, op: Operation, deadline: number): Promise<void> {
  const key = newPersonKey();
  op.personId = key.did;
  const certifier = certifierClient(actors.certifierUrl);
  const { nonce, certifier: mspId } = await retrying(op, deadline, () => certifier.requestNonce());
  const made = await createCertificationRequest({ key, certifier: mspId, nonce, kind: 'identity', claims: CLAIMS });
  const input = {
    personId: key.did,
    kind: 'identity',
    claims: CLAIMS,
    claimsSalt: made.claimsSalt,
    request: made.request,
  };
  op.id = (await retrying(op, deadline, () => certifier.submit(input))).id;
  const path = `/v1/certifications/${op.id}/approve`;
  await retrying(op, deadline, () => actors.certOfficer.post(path, { level: 1 }));
}

async function verify(actors: Actors, op: Operation, deadline: number, index: number): Promise<void> {
  const person = actors.people[index % actors.people.length];
  if (person === undefined) throw new Error('no certified people');
  op.personId = person.key.did;
  const opened = await retrying(op, deadline, () =>
    openRegistration(actors.bankOfficer, { claims: ['given_name'], purpose: 'chaos' }),
  );
  op.id = opened.registrationId;
  const registration = scanRegistration(opened.png, actors.trust);
  const { jwe } = await buildPresentation({
    key: person.key,
    registration: registration.payload,
    credential: person.credential,
    claimNames: ['given_name'],
  });
  await retrying(op, deadline, () => submitPresentation(registration.payload.endpoint, jwe));
}

async function read(actors: Actors, op: Operation, deadline: number, index: number): Promise<void> {
  const person = actors.people[index % actors.people.length];
  if (person === undefined) throw new Error('no certified people');
  await retrying(op, deadline, () => actors.certOfficer.get(`/v1/attestations/${encodeURIComponent(person.key.did)}`));
}

/**
 * Runs a set-up step until it succeeds (at most 20 tries, 3 s apart): on a network that has just come up,
 * discovery and the chaincode servers' connections are still converging, and the set-up is not what is measured.
 */
async function warmingUp<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (attempt >= 20) throw err;
      await sleep(3000);
    }
  }
}

async function setUp(log: (line: string) => void): Promise<Actors> {
  const config = loadNetworkConfig(networkJson());
  const certifierUrl = serviceReplicaUrl(serviceOf(config, 'certifier'), 0);
  const bankUrl = serviceReplicaUrl(serviceOf(config, 'bank'), 0);
  const adminToken = (service: string): string =>
    readFileSync(join(ROOT, 'services', 'data', instance(), service, 'admin-token'), 'utf8').trim();
  const certOfficer = await warmingUp(() =>
    enrollOfficer(certifierUrl, adminToken('certifier'), freshOfficerName('chaos')),
  );
  const bankOfficer = await warmingUp(() => enrollOfficer(bankUrl, adminToken('bank'), freshOfficerName('chaos')));
  const people = [];
  for (let i = 0; i < 6; i++) {
    people.push(
      await warmingUp(async () => {
        const key = newPersonKey();
        const { credential } = await certifyPerson({
          certifierUrl,
          officer: certOfficer,
          key,
          claims: CLAIMS,
          level: 1,
        });
        return { key, credential };
      }),
    );
  }
  log(`chaos: officers enrolled, ${String(people.length)} people certified to present at the bank`);
  const trust = trustBundleFromNetwork(networkJson(), [serviceOf(config, 'bank').mspId]);
  return { certifierUrl, certOfficer, bankOfficer, trust, people };
}

/** The peers' heights and hashes from `network.sh status` (its ledger table), and whether they agree. */
async function ledgerStatus(): Promise<{ peers: ChaosReport['peers']; agree: boolean }> {
  // status exits 1 while the peers disagree; its table is what is wanted either way.
  const { stdout } = await script('network/network.sh', ['status']).catch((err: unknown) => ({
    stdout: (err as { stdout?: string }).stdout ?? '',
  }));
  const peers = [...stdout.matchAll(/^(\S+)\s+peer\s+(\d+)\s+(\S+)\s*$/gm)].map((m) => ({
    node: m[1] ?? '',
    height: Number(m[2]),
    hash: m[3] ?? '',
  }));
  const agree =
    peers.length > 0 && new Set(peers.map((p) => p.height)).size === 1 && new Set(peers.map((p) => p.hash)).size === 1;
  return { peers, agree };
}

/** How many times the ledger holds the operation's request. */
async function onLedger(actors: Actors, op: Operation): Promise<number> {
  if (op.personId === undefined || op.id === undefined) return 0;
  const person = encodeURIComponent(op.personId);
  if (op.kind === 'certify') {
    const records = await actors.certOfficer.get<readonly Attestation[]>(`/v1/attestations/${person}`);
    // A fresh key per certification: one record at version 1 is one approval; a higher version is a second.
    return records.reduce((n, r) => n + r.version, 0);
  }
  const receipts = await actors.bankOfficer.get<readonly Receipt[]>(`/v1/persons/${person}/receipts`);
  return receipts.filter((r) => r.registrationId === op.id).length;
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const retryMs = (options.retrySeconds ?? 150) * 1000;
  chaosInstance = options.instance ?? process.env.KYC_INSTANCE ?? 'main';
  await restartServices(CHAOS_SERVICE_ENV);
  try {
    const actors = await setUp(log);
    const operations: Operation[] = [];
    const pending: Promise<void>[] = [];
    const t0 = Date.now();
    const since = (ms: number): number => (ms - t0) / 1000;
    const mix: readonly OperationKind[] = ['certify', 'verify', 'read', 'verify', 'certify'];
    const start = (index: number): void => {
      const kind = mix[index % mix.length] ?? 'read';
      const op: Operation = { kind, retries: 0, startedAt: Date.now() };
      operations.push(op);
      const deadline = op.startedAt + retryMs;
      const task =
        kind === 'certify'
          ? certify(actors, op, deadline)
          : kind === 'verify'
            ? verify(actors, op, deadline, index)
            : read(actors, op, deadline, index);
      pending.push(
        task.then(
          () => {
            op.answer = 'ok';
            op.endedAt = Date.now();
          },
          (err: unknown) => {
            op.answer = 'error';
            op.code = err instanceof KycError ? err.code : 'CLIENT_ERROR';
            op.message = err instanceof Error ? err.message : String(err);
            op.endedAt = Date.now();
          },
        ),
      );
    };
    // One fault at a time, each at its slot of the load (or when the previous one is over).
    const spacing = (options.seconds * 1000) / (options.faults.length + 1);
    const faultRun = async (kind: FaultKind): Promise<FaultRun> => {
      const killedAt = Date.now();
      let node = '?';
      let error: string | undefined;
      try {
        node = await faultTarget(kind);
        await kill(kind, node);
        log(`chaos: ${since(Date.now()).toFixed(1)} s: ${kind}: SIGKILL ${node}`);
        await sleep(isService(kind) ? 1000 : options.downSeconds * 1000);
        await revive(kind, node);
      } catch (err) {
        error = scriptFailure(err);
      }
      const backAt = Date.now();
      log(
        `chaos: ${since(backAt).toFixed(1)} s: ${node} ${error === undefined ? 'back' : `FAILED (${error})`} after ${((backAt - killedAt) / 1000).toFixed(1)} s`,
      );
      return { kind, node, killedAt, backAt, ...(error === undefined ? {} : { error }) };
    };
    const faultRuns = (async (): Promise<FaultRun[]> => {
      const done: FaultRun[] = [];
      for (const [i, kind] of options.faults.entries()) {
        await sleep(Math.max(0, t0 + spacing * (i + 1) - Date.now()));
        done.push(await faultRun(kind));
      }
      return done;
    })();
    const interval = 1000 / options.rate;
    for (let index = 0; Date.now() - t0 < options.seconds * 1000; index++) {
      start(index);
      const next = t0 + (index + 1) * interval;
      await sleep(Math.max(0, next - Date.now()));
    }
    log(`chaos: load done (${String(operations.length)} operations); waiting for the last answers and restarts`);
    const runs = await faultRuns;
    await Promise.all(pending);
    const loadSeconds = (Date.now() - t0) / 1000;

    // The peers catch up after their restarts: wait (bounded) until every peer has the same height and hash.
    let status = await ledgerStatus();
    for (let i = 0; i < 30 && !status.agree; i++) {
      await sleep(2000);
      status = await ledgerStatus();
    }

    const violations: string[] = [];
    let committed = 0;
    let failedAndAbsent = 0;
    let lost = 0;
    let unacknowledged = 0;
    let duplicated = 0;
    let gaveUp = 0;
    let gaveUpCommitted = 0;
    for (const op of operations.filter((o) => o.kind !== 'read')) {
      const times = await onLedger(actors, op);
      const what = `${op.kind} ${op.id ?? '(no id)'}: answered ${op.answer ?? '?'}${op.code ? ` ${op.code} (${op.message ?? ''})` : ''} after ${String(op.retries)} retries, on the ledger ${String(times)}×`;
      if (times > 1) {
        duplicated++;
        violations.push(what);
      } else if (op.code === 'KYC_UNAVAILABLE') {
        gaveUp++;
        gaveUpCommitted += times;
        violations.push(`gave up: ${what}`);
      } else if (op.answer === 'ok' && times === 1) committed++;
      else if (op.answer === 'error' && times === 0) failedAndAbsent++;
      else if (op.answer === 'ok') {
        lost++;
        violations.push(what);
      } else {
        unacknowledged++;
        violations.push(what);
      }
    }
    const errorCodes: Record<string, number> = {};
    const errorExamples: Record<string, string> = {};
    for (const op of operations) {
      if (op.code === undefined) continue;
      const key = `${op.kind} ${op.code}`;
      errorCodes[key] = (errorCodes[key] ?? 0) + 1;
      errorExamples[key] ??= op.message ?? '';
    }
    const faults: FaultResult[] = runs.map((f) => {
      const after = operations
        .filter((o) => o.startedAt >= f.backAt && o.answer === 'ok' && o.endedAt !== undefined)
        .map((o) => o.endedAt as number);
      return {
        kind: f.kind,
        node: f.node,
        killedAt: since(f.killedAt),
        backAfter: (f.backAt - f.killedAt) / 1000,
        recoveredAfter: after.length === 0 ? undefined : (Math.min(...after) - f.killedAt) / 1000,
        failedWhileDown: operations.filter(
          (o) => o.startedAt >= f.killedAt && o.startedAt < f.backAt && o.answer === 'error',
        ).length,
        ...(f.error === undefined ? {} : { error: f.error }),
      };
    });
    const count = (kind: OperationKind): number => operations.filter((o) => o.kind === kind).length;
    const reads = operations.filter((o) => o.kind === 'read');
    return {
      seconds: loadSeconds,
      requests: { certify: count('certify'), verify: count('verify'), read: count('read') },
      committed,
      failedAndAbsent,
      lost,
      unacknowledged,
      duplicated,
      gaveUp,
      gaveUpCommitted,
      readsOk: reads.filter((o) => o.answer === 'ok').length,
      readsFailed: reads.filter((o) => o.answer === 'error').length,
      retried: operations.filter((o) => o.retries > 0).length,
      errorCodes,
      errorExamples,
      faults,
      peers: status.peers,
      peersAgree: status.agree,
      violations,
    };
  } finally {
    await restartServices({});
  }
}

/** Why the run fails, or nothing: every request accounted for, every fault healed, the peers agreeing. */
export function failures(report: ChaosReport): string[] {
  return [
    ...(report.lost > 0 ? [`${String(report.lost)} lost`] : []),
    ...(report.unacknowledged > 0 ? [`${String(report.unacknowledged)} unacknowledged`] : []),
    ...(report.duplicated > 0 ? [`${String(report.duplicated)} duplicated`] : []),
    ...(report.gaveUp > 0 ? [`${String(report.gaveUp)} gave up with the outcome unknown`] : []),
    ...report.faults.filter((f) => f.error !== undefined).map((f) => `${f.kind}: ${f.error ?? ''}`),
    ...(report.peersAgree ? [] : ['the peers disagree']),
  ];
}

/** The report as the tables `./kyc chaos` and the test print. */
export function formatReport(report: ChaosReport): string {
  const lines = [
    '',
    `| requests (certify / verify / read) | committed | failed and absent | lost | unacknowledged | duplicated | gave up (of which committed) | retried | reads ok / failed |`,
    `|---|---|---|---|---|---|---|---|---|`,
    `| ${String(report.requests.certify)} / ${String(report.requests.verify)} / ${String(report.requests.read)} | ${String(report.committed)} | ${String(report.failedAndAbsent)} | **${String(report.lost)}** | **${String(report.unacknowledged)}** | **${String(report.duplicated)}** | ${String(report.gaveUp)} (${String(report.gaveUpCommitted)}) | ${String(report.retried)} | ${String(report.readsOk)} / ${String(report.readsFailed)} |`,
    '',
    `| fault | node | killed at | back after | recovered after | failed while down |`,
    `|---|---|---|---|---|---|`,
    ...report.faults.map(
      (f) =>
        `| ${f.kind} | ${f.node} | ${f.killedAt.toFixed(1)} s | ${f.error === undefined ? `${f.backAfter.toFixed(1)} s` : `not restarted: ${f.error}`} | ${f.recoveredAfter === undefined ? '-' : `${f.recoveredAfter.toFixed(1)} s`} | ${String(f.failedWhileDown)} |`,
    ),
    '',
    `errors answered: ${Object.keys(report.errorCodes).length === 0 ? 'none' : ''}`,
    ...Object.entries(report.errorCodes).map(
      ([key, n]) => `  ${key}: ${String(n)} (first: ${report.errorExamples[key] ?? ''})`,
    ),
    `peers ${report.peersAgree ? 'agree' : 'DISAGREE'}: ${report.peers.map((p) => `${p.node} ${String(p.height)} ${p.hash.slice(0, 12)}…`).join(', ')}`,
    ...report.violations.map((v) => `VIOLATION ${v}`),
  ];
  return lines.join('\n');
}
