import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, credentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import { retryWhileConverging } from '../../gateway/src/fabric';
import { connectAs } from '../support/fabric';
import { certificationRequest, commitmentFor, newPerson, salt, uniqueClaims } from '../support/kyc-fixtures';
import { ensureNetwork, networkJsonPath, repoRoot, runNetworkScript, suiteInstance } from '../support/network';
import { operationsRequest, type OperationsResponse } from '../support/operations';

/**
 * Issue #7, network side: what a local user who is not the network's owner can reach. Files the network
 * generates are owner-only and no log holds an HSM PIN; the peer–chaincode link is mutual TLS; the
 * operations endpoints change nothing (`/logspec`) for a caller without an org client certificate.
 */

/** The parts of network.json read here (raw, so that this also runs against an older network.json). */
interface NodeJson {
  readonly name: string;
  readonly operationsUrl: string;
  readonly operationsTlsRootCertPath?: string;
  readonly tlsRootCertPath: string;
}

interface NetworkConfig {
  readonly instance: string;
  readonly orderers: readonly NodeJson[];
  readonly orgs: Readonly<
    Record<
      string,
      {
        readonly mspId: string;
        readonly ca: { readonly tlsCertPath: string };
        readonly peers?: readonly NodeJson[];
        readonly users: Readonly<Record<string, { readonly mspPath: string }>>;
      }
    >
  >;
}

const peersOf = (org: NetworkConfig['orgs'][string]): readonly NodeJson[] => org.peers ?? [];

interface Entry {
  readonly path: string;
  readonly stats: Stats;
}

/** Every file and directory under `root` (root included), by lstat; entries that vanish are skipped. */
function walk(root: string): Entry[] {
  const entries: Entry[] = [];
  const visit = (path: string): void => {
    let stats: Stats;
    try {
      stats = lstatSync(path);
    } catch {
      return; // a running node removed it meanwhile (e.g. a compacted LevelDB file)
    }
    entries.push({ path, stats });
    if (stats.isDirectory()) {
      for (const name of readdirSync(path)) {
        visit(join(path, name));
      }
    }
  };
  visit(root);
  return entries;
}

function instanceDirs(): string[] {
  const instance = suiteInstance();
  const root = repoRoot();
  return [
    join(root, 'crypto-config', 'generated', instance),
    join(root, 'network', 'data', instance),
    join(root, 'network', 'logs', instance),
  ];
}

/** Paths that the user `nobody` can open (files) or list (directories), checked in one child process. */
function readableByNobody(paths: readonly string[]): string[] {
  const reader = `
    const fs = require('fs');
    const readable = [];
    for (const path of JSON.parse(fs.readFileSync(0, 'utf8'))) {
      try {
        if (fs.statSync(path).isDirectory()) fs.readdirSync(path);
        else fs.closeSync(fs.openSync(path, 'r'));
        readable.push(path);
      } catch {}
    }
    process.stdout.write(JSON.stringify(readable));`;
  const result = spawnSync(
    'setpriv',
    ['--reuid=nobody', '--regid=nogroup', '--clear-groups', '--', process.execPath, '-e', reader],
    { input: JSON.stringify(paths), cwd: '/', encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  assert.equal(result.status, 0, `the unprivileged reader failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as string[];
}

function mode(stats: Stats): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, '0');
}

// ------------------------------------------------------------------------------- chaincode servers

interface ChaincodeServer {
  readonly name: string;
  readonly mspId: string;
  readonly port: number;
}

interface Topology {
  readonly orgs: Readonly<Record<string, { readonly mspId: string }>>;
  readonly chaincodes: readonly {
    readonly name: string;
    readonly servers: readonly { readonly org: string; readonly port: number }[];
  }[];
}

/** The instance's chaincode servers: topology.json's ports plus the instance's port offset. */
function chaincodeServers(): ChaincodeServer[] {
  const root = repoRoot();
  const topology = JSON.parse(readFileSync(join(root, 'crypto-config', 'topology.json'), 'utf8')) as Topology;
  const state = readFileSync(join(root, 'network', 'data', suiteInstance(), 'instance.env'), 'utf8');
  const offset = Number(/^PORT_OFFSET=(\d+)$/m.exec(state)?.[1] ?? 'NaN');
  assert.ok(Number.isInteger(offset), 'instance.env has a PORT_OFFSET');
  return topology.chaincodes.flatMap((cc) =>
    cc.servers.map((server) => ({
      name: `cc-${cc.name}.${server.org}`,
      mspId: topology.orgs[server.org]!.mspId,
      port: server.port + offset,
    })),
  );
}

/** The peer's chaincode client certificate and key (beside its TLS server certificate). */
function peerChaincodeClient(config: NetworkConfig, mspId: string): { cert: Buffer; key: Buffer } {
  const peer = peersOf(config.orgs[mspId]!)[0]!;
  const tls = dirname(peer.tlsRootCertPath);
  return { cert: readFileSync(join(tls, 'cc-client.crt')), key: readFileSync(join(tls, 'cc-client.key')) };
}

/**
 * Opens the chaincode server's `Connect` stream as a peer would. A server that accepts the connection
 * speaks first (its REGISTER message): `accepted`. Anything else within 5 s is a refusal.
 */
function connectToChaincode(port: number, channelCredentials: ChannelCredentials): Promise<string> {
  const client = new Client(`127.0.0.1:${port}`, channelCredentials);
  const identity = (bytes: Buffer): Buffer => bytes;
  return new Promise<string>((resolve) => {
    const call = client.makeBidiStreamRequest('/protos.Chaincode/Connect', identity, identity, new Metadata(), {
      deadline: Date.now() + 5000,
    });
    call.on('data', () => {
      resolve('accepted');
      call.cancel();
    });
    call.on('error', (error: Error) => {
      resolve(`refused: ${error.message}`);
    });
    call.on('end', () => {
      resolve('refused: stream ended');
    });
  }).finally(() => {
    client.close();
  });
}

// ------------------------------------------------------------------------------ operations endpoints

interface OpsNode {
  readonly name: string;
  readonly operationsUrl: string;
  readonly caPath: string;
  /** The MSP whose CA issued the node's TLS certificate. */
  readonly mspId: string;
}

function opsNodes(config: NetworkConfig): OpsNode[] {
  const orgOfCa = (caPath: string): string => {
    const pem = readFileSync(caPath, 'utf8');
    const org = Object.values(config.orgs).find((o) => readFileSync(o.ca.tlsCertPath, 'utf8') === pem);
    assert.ok(org, `no org has the CA ${caPath}`);
    return org.mspId;
  };
  return [...config.orderers, ...Object.values(config.orgs).flatMap(peersOf)].map((node) => {
    // Before operations TLS, network.json had no operations CA: the node's TLS CA is the same one.
    const caPath = node.operationsTlsRootCertPath ?? node.tlsRootCertPath;
    return { name: node.name, operationsUrl: node.operationsUrl, caPath, mspId: orgOfCa(caPath) };
  });
}

/** The org Admin's TLS client certificate (network.sh issues one per org, as files). */
function adminTlsClient(config: NetworkConfig, mspId: string): { certPath: string; keyPath: string } {
  const tls = join(dirname(config.orgs[mspId]!.users.Admin!.mspPath), 'tls');
  return { certPath: join(tls, 'client.crt'), keyPath: join(tls, 'client.key') };
}

/** `PUT /logspec` and the like: refused means a failed TLS handshake or a 4xx/5xx answer. */
async function outcome(attempt: Promise<OperationsResponse>): Promise<string> {
  try {
    const response = await attempt;
    return response.status >= 200 && response.status < 300 ? `accepted (${response.status})` : 'refused';
  } catch {
    return 'refused';
  }
}

/** The same PUT in plaintext HTTP, as before operations TLS. */
function plainPut(url: string, body: string): Promise<OperationsResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'PUT', timeout: 5000, agent: false }, (response) => {
      response.resume();
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: '' });
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

// ------------------------------------------------------------------------------------------- tests

describe('network security: owner-only state, no PINs in logs, TLS to chaincode and operations', function () {
  this.timeout(180_000);
  let config: NetworkConfig;

  before(async function () {
    config = JSON.parse(readFileSync(await ensureNetwork(), 'utf8')) as NetworkConfig;
  });

  it('publishes https operations URLs with the CA that verifies them', function () {
    for (const node of [...config.orderers, ...Object.values(config.orgs).flatMap(peersOf)]) {
      assert.match(node.operationsUrl, /^https:\/\//, `${node.name} operations URL`);
      assert.ok(node.operationsTlsRootCertPath, `${node.name} operationsTlsRootCertPath`);
    }
  });

  it('carries traffic: a Certify through the certifier chaincode server, read back through the bank', async function () {
    const officer = await connectAs(networkJsonPath(), 'CertifierMSP', 'officer1');
    const verifier = await connectAs(networkJsonPath(), 'BankMSP', 'verifier1');
    try {
      const person = newPerson();
      const claims = uniqueClaims();
      const request = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt: salt() });
      const { commitment } = commitmentFor(claims, { level: 2 });
      await retryWhileConverging(() =>
        officer.contract('kyc').submitTransaction('Certify', person.id, request, commitment),
      );
      const read = await retryWhileConverging(() =>
        verifier.contract('kyc').evaluateTransaction('GetAttestation', person.id, 'CertifierMSP', 'identity'),
      );
      assert.equal((JSON.parse(Buffer.from(read).toString('utf8')) as { version: number }).version, 1);
    } finally {
      await officer.close();
      await verifier.close();
    }
  });

  it('gives no group or other permission to any file or directory the instance generated', function () {
    const loose = instanceDirs()
      .flatMap(walk)
      .filter((entry) => !entry.stats.isSymbolicLink() && (entry.stats.mode & 0o077) !== 0)
      .map((entry) => `${mode(entry.stats)} ${entry.path}`);
    assert.deepEqual(loose, [], `entries open to group or others:\n${loose.slice(0, 40).join('\n')}`);
  });

  it('lets an unprivileged local user read no file of the instance', function () {
    if (process.getuid?.() !== 0) {
      this.skip(); // switching to `nobody` needs root
    }
    const entries = instanceDirs().flatMap(walk);
    assert.ok(entries.length > 100, `expected the instance's files, found ${entries.length}`);
    // Control: the reader does read what is world-readable, so an empty answer means something.
    const control = mkdtempSync(join(tmpdir(), 'kyc-nobody-'));
    try {
      const probe = join(control, 'probe');
      writeFileSync(probe, 'x', { mode: 0o644 });
      spawnSync('chmod', ['755', control]);
      const readable = readableByNobody([probe, ...entries.map((entry) => entry.path)]);
      assert.deepEqual(readable.slice(0, 1), [probe], 'the unprivileged reader could not read a world-readable file');
      assert.deepEqual(readable.slice(1), [], `readable by nobody:\n${readable.slice(1, 40).join('\n')}`);
    } finally {
      rmSync(control, { recursive: true, force: true });
    }
  });

  it('writes no HSM PIN into any log, and keeps every file that holds one at 0600 or stricter', function () {
    const [generated, , logs] = instanceDirs() as [string, string, string];
    const pinDir = join(generated, 'hsm', 'pins');
    const pins = readdirSync(pinDir)
      .filter((name) => name.endsWith('.pin'))
      .map((name) => ({ name, pin: readFileSync(join(pinDir, name), 'utf8').trim() }));
    assert.ok(pins.length >= 9, `expected a PIN per token, found ${pins.length}`);
    const logFiles = walk(logs).filter((entry) => entry.stats.isFile());
    assert.ok(logFiles.length >= 9, 'every node has a log');
    const problems: string[] = [];
    for (const entry of instanceDirs().flatMap(walk)) {
      if (!entry.stats.isFile()) {
        continue;
      }
      let content: string;
      try {
        content = readFileSync(entry.path, 'latin1');
      } catch {
        continue; // removed meanwhile
      }
      for (const { name, pin } of pins) {
        if (!content.includes(pin)) {
          continue;
        }
        if (entry.path.startsWith(logs + '/')) {
          problems.push(`log ${entry.path} contains the PIN of ${name}`);
        } else if ((entry.stats.mode & 0o177) !== 0) {
          problems.push(`${entry.path} holds the PIN of ${name} with mode ${mode(entry.stats)}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  describe('the peer–chaincode link', function () {
    it('refuses plaintext gRPC, TLS without a client certificate and a client certificate of another org', async function () {
      const servers = chaincodeServers();
      assert.ok(servers.length >= 3, 'kyc (certifier, bank) and tickets (bank)');
      for (const server of servers) {
        const plaintext = await connectToChaincode(server.port, credentials.createInsecure());
        assert.match(plaintext, /^refused/, `${server.name} accepted plaintext gRPC`);
        const root = readFileSync(config.orgs[server.mspId]!.ca.tlsCertPath);
        const other = Object.values(config.orgs).find((o) => o.mspId !== server.mspId && peersOf(o).length > 0)!;
        const foreign = peerChaincodeClient(config, other.mspId);
        const own = peerChaincodeClient(config, server.mspId);
        const attempts = {
          'TLS without a client certificate': await connectToChaincode(server.port, credentials.createSsl(root)),
          [`TLS as ${other.mspId}`]: await connectToChaincode(
            server.port,
            credentials.createSsl(root, foreign.key, foreign.cert),
          ),
        };
        for (const [what, result] of Object.entries(attempts)) {
          assert.match(result, /^refused/, `${server.name} accepted ${what}`);
        }
        // Control: the peer's own chaincode client certificate is accepted.
        const accepted = await connectToChaincode(server.port, credentials.createSsl(root, own.key, own.cert));
        assert.equal(accepted, 'accepted', `${server.name} with the peer's client certificate`);
      }
    });

    it('still serves the peers over TLS afterwards (evaluate on every chaincode server)', async function () {
      const certifier = await connectAs(networkJsonPath(), 'CertifierMSP', 'officer1');
      const bank = await connectAs(networkJsonPath(), 'BankMSP', 'verifier1');
      try {
        for (const [connection, chaincode] of [
          [certifier, 'kyc'],
          [bank, 'kyc'],
          [bank, 'tickets'],
        ] as const) {
          const metadata = await retryWhileConverging(() =>
            connection.contract(chaincode).evaluateTransaction('org.hyperledger.fabric:GetMetadata'),
          );
          assert.ok(metadata.length > 0, `${chaincode} answered through ${connection.config.instance}`);
        }
      } finally {
        await certifier.close();
        await bank.close();
      }
    });
  });

  describe('operations endpoints', function () {
    it('refuse an unauthenticated PUT /logspec on every peer and orderer; /healthz still answers', async function () {
      const nodes = opsNodes(config);
      assert.ok(nodes.length >= 6, 'orderers and peers');
      for (const node of nodes) {
        // The plaintext attempt first: against an endpoint without TLS it is the one that gets through.
        const body = JSON.stringify({ spec: 'debug' });
        const stranger = Object.values(config.orgs).find((o) => o.mspId !== node.mspId)!;
        const attempts = {
          'PUT in plaintext HTTP': await outcome(
            plainPut(`${node.operationsUrl.replace('https:', 'http:')}/logspec`, body),
          ),
          'anonymous PUT over TLS': await outcome(
            operationsRequest(`${node.operationsUrl}/logspec`, { caPath: node.caPath, method: 'PUT', body }),
          ),
          [`PUT as ${stranger.mspId}'s Admin`]: await outcome(
            operationsRequest(`${node.operationsUrl}/logspec`, {
              caPath: node.caPath,
              method: 'PUT',
              body,
              client: adminTlsClient(config, stranger.mspId),
            }),
          ),
        };
        for (const [what, result] of Object.entries(attempts)) {
          assert.equal(result, 'refused', `${node.name}: ${what}`);
        }
        const health = await operationsRequest(`${node.operationsUrl}/healthz`, { caPath: node.caPath });
        assert.equal(health.status, 200, `${node.name} /healthz without a client certificate`);
        // The org's own Admin may read (and set) the spec; nothing above set it to debug.
        const spec = await operationsRequest(`${node.operationsUrl}/logspec`, {
          caPath: node.caPath,
          client: adminTlsClient(config, node.mspId),
        });
        assert.equal(spec.status, 200, `${node.name}: GET /logspec as the org Admin`);
        assert.doesNotMatch(spec.body, /debug/i, `${node.name}: the log spec changed`);
      }
    });

    it('serve /metrics to the org client certificate, so network.sh status sees every node healthy', async function () {
      for (const node of opsNodes(config)) {
        const anonymous = await outcome(operationsRequest(`${node.operationsUrl}/metrics`, { caPath: node.caPath }));
        assert.equal(anonymous, 'refused', `${node.name}: /metrics without a client certificate`);
        const metrics = await operationsRequest(`${node.operationsUrl}/metrics`, {
          caPath: node.caPath,
          client: adminTlsClient(config, node.mspId),
        });
        assert.equal(metrics.status, 200, `${node.name}: /metrics as the org Admin`);
        assert.match(metrics.body, /^# TYPE /m);
      }
      const status = await runNetworkScript(['status'], { env: { KYC_INSTANCE: suiteInstance() } });
      assert.equal(status.code, 0, status.output);
      assert.match(status.output, /orderer1 .*\/healthz,\/metrics healthy/);
    });
  });
});
