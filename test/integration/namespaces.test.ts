import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BurstOutcome } from '../support/lab-client';
import {
  instanceProcesses,
  lastLines,
  networkJsonPath,
  repoRoot,
  runNetworkScript,
  type ScriptResult,
  assertSucceeded,
  instanceNetwork,
} from '../support/network';

/**
 * Each organisation on a host of its own (`network.sh up --hosts`): a Linux network namespace per
 * organisation with its own address and host name, a bridge in a namespace of its own, and every client in a
 * namespace. This process stays on the host and only starts clients inside the lab's client namespace
 * (kl-ops); it never connects to a lab address itself.
 */

const INSTANCE = 'hosts';
const ENV = { KYC_INSTANCE: INSTANCE, KYC_PORT_OFFSET: '0' };
const NETWORK_JSON = networkJsonPath(INSTANCE);
const CLIENT_NS = 'kl-ops';
const LAB_ADDRESSES = ['10.213.0.2', '10.213.0.11', '10.213.0.12', '10.213.0.200'];

const network = instanceNetwork(ENV);

function run(command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}) {
  const result = spawnSync(command, args, { cwd: repoRoot(), env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** A client program inside the lab's client namespace. */
function inClientNamespace(args: readonly string[], timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', CLIENT_NS, ...args], {
      cwd: repoRoot(),
      env: { ...process.env, ...ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/** What the host's routing table does with a lab address: it must never leave by the default route. */
function assertNotRoutedOutside(): void {
  assert.match(run('ip', ['route', 'show', 'type', 'blackhole']).output, /^blackhole 10\.213\.0\.0\/24/m);
  for (const address of LAB_ADDRESSES) {
    // The kernel refuses to route to a blackhole destination: `ip route get` fails with EINVAL.
    const { code, output } = run('ip', ['route', 'get', address]);
    assert.doesNotMatch(output, / via | dev /, `${address} would leave the host: ${output}`);
    assert.notEqual(code, 0, `${address}: ${output}`);
    assert.match(output, /Invalid argument|blackhole|unreachable/i, `${address}: ${output}`);
  }
}

function labNamespaces(): string[] {
  return run('ip', ['netns', 'list'])
    .output.split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith('kl-'));
}

/** The namespace a process of the instance runs in, by its node name. */
function namespaceOf(node: string): string {
  const pid = instanceProcesses(INSTANCE).find((p) =>
    readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(`KYC_NETWORK_PROCESS=${INSTANCE}/${node}`),
  );
  assert.ok(pid, `${node} runs`);
  return run('ip', ['netns', 'identify', String(pid)]).output.trim();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('namespaces: each organisation on a host of its own', function () {
  this.timeout(900_000);
  const scratch = mkdtempSync(join(tmpdir(), 'kyc-lab-'));

  before(async function () {
    run('bash', [join(repoRoot(), 'services', 'services.sh'), 'clean'], ENV);
    assertSucceeded(await network('clean'), 'clean before the test');
  });

  after(async function () {
    run('bash', [join(repoRoot(), 'services', 'services.sh'), 'clean'], ENV);
    const clean = await network('clean');
    rmSync(scratch, { recursive: true, force: true });
    assert.equal(clean.code, 0, `clean after the test failed:\n${lastLines(clean.output, 20)}`);
    assert.deepEqual(instanceProcesses(INSTANCE), []);
    assert.deepEqual(labNamespaces(), [], 'clean removes every lab namespace');
    assert.doesNotMatch(
      run('ip', ['route', 'show', 'type', 'blackhole']).output,
      /10\.213\.0\.0/,
      'the route goes last',
    );
  });

  it('comes up with an organisation per namespace behind a blackhole route; names in TLS, no lab address on the host', async function () {
    assertSucceeded(await runNetworkScript(['up', '--hosts'], { env: ENV, echo: true }), 'up --hosts');
    assertNotRoutedOutside();
    assert.deepEqual(labNamespaces().sort(), ['kl-bank', 'kl-bridge', 'kl-certifier', 'kl-ops', 'kl-orderer']);
    assert.doesNotMatch(run('ip', ['-o', 'addr']).output, /10\.213\./, 'the host has no lab address');
    assert.equal(namespaceOf('peer0.bank'), 'kl-bank');
    assert.equal(namespaceOf('peer1.bank'), 'kl-bank');
    assert.equal(namespaceOf('orderer1'), 'kl-orderer');
    assert.equal(namespaceOf('cc-kyc.certifier'), 'kl-certifier');
    const json = JSON.parse(readFileSync(NETWORK_JSON, 'utf8')) as {
      orgs: Record<string, { peers?: { endpoint: string }[] }>;
      lab: { clientNamespace: string };
    };
    assert.equal(json.lab.clientNamespace, CLIENT_NS);
    assert.equal(json.orgs.BankMSP?.peers?.[0]?.endpoint, 'bank.kyc.lab:9051');
    const cert = join(
      repoRoot(),
      'crypto-config',
      'generated',
      INSTANCE,
      'bank',
      'nodes',
      'peer0.bank',
      'tls',
      'server.crt',
    );
    assert.match(
      run('openssl', ['x509', '-in', cert, '-noout', '-ext', 'subjectAltName']).output,
      /DNS:bank\.kyc\.lab/,
    );
    const status = await network('status');
    assertSucceeded(status, 'status');
    assert.match(status.output, /peers agree/);
  });

  it('adds Bank2Org on a host of its own', async function () {
    assertSucceeded(
      await runNetworkScript(['org', 'add', '--name', 'bank2', '--role', 'bank'], { env: ENV, echo: true }),
      'org add bank2',
    );
    assert.ok(labNamespaces().includes('kl-bank2'));
    assert.equal(namespaceOf('peer0.bank2'), 'kl-bank2');
    assertNotRoutedOutside();
  });

  it('runs the whole flow through the services, the client in the lab client namespace', async function () {
    const started = run('bash', [join(repoRoot(), 'services', 'services.sh'), 'start'], ENV);
    assert.equal(started.code, 0, started.output);
    const demo = await inClientNamespace(['node', 'dist/demo/src/main.js'], 300_000);
    assert.equal(demo.code, 0, `demo failed:\n${lastLines(demo.output, 30)}`);
    assert.match(demo.output, /Done/);
    assert.match(demo.output, /http:\/\/certifier\.kyc\.lab:8080/);
  });

  it('a cut bank link during a burst leaves the others working; the bank then catches up and nothing acknowledged is missing', async function () {
    const out = join(scratch, 'burst.json');
    const burst = inClientNamespace(
      ['node', 'dist/test/support/lab-client.js', 'burst', NETWORK_JSON, '60', '2', out],
      240_000,
    );
    await sleep(5_000);
    const cutAt = Date.now();
    assertSucceeded(await network('link', 'bank', 'down'), 'link bank down');
    let restoredAt = 0;
    try {
      // Longer than gossip's alive expiration (25 s): until then endorsement plans still name the cut bank's
      // peers, and a client waits for their endorsement to time out; afterwards plans use the other bank.
      await sleep(40_000);
    } finally {
      assertSucceeded(await network('link', 'bank', 'up'), 'link bank up');
      restoredAt = Date.now();
    }
    const done = await burst;
    assert.equal(done.code, 0, `burst failed:\n${lastLines(done.output, 20)}`);
    const outcomes = JSON.parse(readFileSync(out, 'utf8')) as BurstOutcome[];
    const acknowledged = outcomes.filter((o) => o.acknowledged);
    const duringCut = acknowledged.filter((o) => o.endedAt > cutAt && o.endedAt <= restoredAt);
    process.stderr.write(
      `      burst: ${outcomes.length} certifications, ${acknowledged.length} acknowledged, ` +
        `${duringCut.length} of them committed while the bank was cut off\n`,
    );
    assert.ok(
      duringCut.length > 0,
      `certifications went on while the bank was cut off (${acknowledged.length} acknowledged)`,
    );

    // The bank's peers catch up: same height and current block hash as every other peer.
    let status: ScriptResult | undefined;
    for (let i = 0; i < 60; i++) {
      status = await network('status');
      if (status.code === 0 && /peers agree/.test(status.output)) break;
      await sleep(2_000);
    }
    assert.ok(status, 'status ran');
    assertSucceeded(status, 'status after the link returned');
    assert.match(status.output, /peers agree: height \d+, one current block hash/);
    process.stderr.write(
      `      the bank's peers agreed ${Math.round((Date.now() - restoredAt) / 1000)} s after the link returned\n`,
    );

    const check = await inClientNamespace(
      ['node', 'dist/test/support/lab-client.js', 'check', NETWORK_JSON, out],
      240_000,
    );
    assert.equal(check.code, 0, check.output);
    const verdict = JSON.parse(lastLines(check.output, 1)) as { checked: number; missing: string[] };
    assert.equal(verdict.checked, acknowledged.length);
    assert.deepEqual(verdict.missing, [], 'every acknowledged certification is on the bank peer');
    assertNotRoutedOutside();
  });
});
