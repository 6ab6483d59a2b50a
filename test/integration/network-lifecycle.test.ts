import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import {
  instanceProcesses,
  lastLines,
  networkJsonPath,
  repoRoot,
  runNetworkScript,
  assertSucceeded,
  instanceNetwork,
} from '../support/network';
import { failures, formatReport, runChaos } from '../../bench/chaos';

/** A throwaway instance beside the developer's, with 4 SmartBFT orderers. */
const INSTANCE = 'lifecycle-bft';
const OFFSET = 20000;
const ENV = { KYC_INSTANCE: INSTANCE, KYC_PORT_OFFSET: String(OFFSET) };

/** The parts of network.json these tests read. */
interface NetworkJson {
  readonly instance: string;
  readonly channel: string;
  readonly consensus: string;
  readonly orderers: readonly { readonly name: string; readonly endpoint: string; readonly tlsRootCertPath: string }[];
}

/** services/services.sh for this instance (the fault run starts its certifier and bank services). */
function services(command: 'stop' | 'clean'): void {
  spawnSync('bash', [join(repoRoot(), 'services', 'services.sh'), command], {
    cwd: repoRoot(),
    env: { ...process.env, ...ENV },
    stdio: 'ignore',
  });
}

const network = instanceNetwork(ENV);

/** The instance's state, log and crypto directories (and its lock file). */
function instancePaths(): string[] {
  const root = repoRoot();
  return [
    join(root, 'network', 'data', INSTANCE),
    join(root, 'network', 'logs', INSTANCE),
    join(root, 'crypto-config', 'generated', INSTANCE),
    join(root, 'network', 'data', `.${INSTANCE}.lock`),
  ];
}

/** The listen port of `node` in this instance, from the committed topology. */
function topologyPort(node: string): number {
  const topology = JSON.parse(readFileSync(join(repoRoot(), 'crypto-config', 'topology.json'), 'utf8')) as {
    peers: { name: string; port: number }[];
  };
  const peer = topology.peers.find((p) => p.name === node);
  assert.ok(peer, `${node} in topology.json`);
  return peer.port + OFFSET;
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      resolve(server);
    });
  });
}

/** Ledger height of channel kyc on BankOrg's first peer. */
async function height(): Promise<number> {
  const result = await network('admin', 'bank', 'channel', 'getinfo', '-c', 'kyc');
  assertSucceeded(result, 'peer channel getinfo');
  const info = /Blockchain info: (\{.*\})/.exec(result.output);
  assert.ok(info, `no blockchain info in:\n${result.output}`);
  return (JSON.parse(info[1]!) as { height: number }).height;
}

function readNetworkJson(): NetworkJson {
  return JSON.parse(readFileSync(networkJsonPath(INSTANCE), 'utf8')) as NetworkJson;
}

describe('network: lifecycle of a throwaway SmartBFT instance', function () {
  this.timeout(600_000);
  const eventId = `lifecycle-${randomBytes(4).toString('hex')}`;

  before(async function () {
    assertSucceeded(await network('clean'), 'clean before the test');
  });

  after(async function () {
    // Whatever happened above, leave nothing of the instance behind.
    services('stop');
    services('clean');
    const clean = await network('clean');
    assert.equal(clean.code, 0, `clean after the test failed:\n${lastLines(clean.output, 20)}`);
    assert.deepEqual(instanceProcesses(INSTANCE), []);
  });

  /** The event CreateEvent wrote can be read back through the peer CLI (query = evaluate). */
  async function assertEventReadable(what: string): Promise<void> {
    const query = await network(
      'admin',
      'bank',
      'chaincode',
      'query',
      '-C',
      'kyc',
      '-n',
      'tickets',
      '-c',
      getEvent(eventId),
    );
    assertSucceeded(query, what);
    assert.match(query.output, new RegExp(`"eventId":"${eventId}"`));
  }

  it('fails on a taken port, naming the node and the port, and leaves no process behind', async function () {
    const port = topologyPort('peer1.bank');
    const blocker = await listen(port);
    try {
      const result = await network('up', '--bft');
      assert.notEqual(result.code, 0, 'up must fail while a port is taken');
      assert.match(result.output, new RegExp(`port ${port} needed by peer1\\.bank`));
      assert.deepEqual(instanceProcesses(INSTANCE), []);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('comes up with 4 SmartBFT orderers, reports every process healthy, and a second up does nothing', async function () {
    assertSucceeded(await runNetworkScript(['up', '--bft'], { env: ENV, echo: true }), 'up --bft');
    const json = readNetworkJson();
    assert.equal(json.instance, INSTANCE);
    assert.equal(json.consensus, 'BFT');
    assert.equal(json.orderers.length, 4);
    assert.equal(json.orderers[0]!.endpoint, `127.0.0.1:${7050 + OFFSET}`);
    const status = await network('status');
    assertSucceeded(status, 'status');
    assert.match(status.output, /all healthy/);
    // Every node's view of the channel: one SmartBFT leader among 4 orderers, the peers at one height.
    assert.match(status.output, /peers agree: height \d+, one current block hash/);
    const orderers = status.output.split('\n').filter((line) => /^orderer\d +orderer +\d+ +(yes|no) /.test(line));
    assert.equal(orderers.length, 4, status.output);
    assert.equal(orderers.filter((line) => / yes /.test(line)).length, 1, status.output);
    const again = await network('up', '--bft');
    assertSucceeded(again, 'second up');
    assert.match(again.output, /running and healthy; nothing to do/);
  });

  it('commits a transaction: tickets CreateEvent as the BankOrg Admin', async function () {
    const orderer = readNetworkJson().orderers[0]!;
    const before = await height();
    const args = JSON.stringify({
      function: 'CreateEvent',
      Args: [eventId, 'Lifecycle test', '10', '1', '["CertifierMSP"]'],
    });
    const invoke = await network(
      'admin', 'bank', 'chaincode', 'invoke', '-o', orderer.endpoint, '--tls', '--cafile', orderer.tlsRootCertPath,
      '-C', 'kyc', '-n', 'tickets', '-c', args, '--waitForEvent',
    ); // prettier-ignore
    assertSucceeded(invoke, 'chaincode invoke CreateEvent');
    assert.equal(await height(), before + 1, 'one new block');
    await assertEventReadable('chaincode query GetEvent');
  });

  it('keeps the ledger and the deployment across down and up', async function () {
    const before = await height();
    assertSucceeded(await network('down'), 'down');
    assert.deepEqual(instanceProcesses(INSTANCE), []);
    assert.notEqual((await network('status')).code, 0, 'status must fail while the instance is down');
    const up = await network('up');
    assertSucceeded(up, 'up after down');
    assert.match(up.output, /channel kyc exists/);
    assert.match(up.output, /chaincode kyc build \w+ is deployed/);
    assert.match(up.output, /chaincode tickets build \w+ is deployed/);
    assert.equal(await height(), before, 'same ledger height');
    await assertEventReadable('chaincode query GetEvent after restart');
  });

  it('loses and duplicates no request while SmartBFT orderers (the leader, a follower) and the bank service are killed under load', async function () {
    this.timeout(900_000);
    try {
      const report = await runChaos({
        instance: INSTANCE,
        seconds: 40,
        rate: 5,
        downSeconds: 5,
        faults: ['orderer-leader', 'orderer-follower', 'bank-service'],
        log: (line) => process.stderr.write(`      ${line}\n`),
      });
      process.stderr.write(`${formatReport(report)}\n`);
      assert.deepEqual(failures(report), []);
      assert.ok(report.committed > 0);
    } finally {
      services('stop');
    }
  });

  it('clean removes every file and directory of the instance and leaves no process', async function () {
    assertSucceeded(await network('clean'), 'clean');
    for (const path of instancePaths()) {
      assert.ok(!existsSync(path), `${path} still exists`);
    }
    assert.deepEqual(instanceProcesses(INSTANCE), []);
    assert.ok(existsSync(join(repoRoot(), 'network', 'bin', 'peer')), 'network/bin is kept');
  });
});

function getEvent(eventId: string): string {
  return JSON.stringify({ function: 'GetEvent', Args: [eventId] });
}
