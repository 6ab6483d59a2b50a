import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { Client, credentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';
import { newGrpcClient, retryWhileConverging } from '../../gateway/src/fabric';
import { connectAs } from '../support/fabric';
import {
  certificationRequest,
  commitmentFor,
  newPerson,
  salt,
  uniqueClaims,
} from '../../protocol/testing/simulated-person';
import { ensureNetwork, networkJsonPath, repoRoot, runNetworkScript, suiteInstance } from '../support/network';
import { operationsRequest, type OperationsResponse } from '../support/operations';

/**
 * Issue #7, network side: what a local user who is not the network's owner can reach. Files the network
 * generates are owner-only and no log holds an HSM PIN; the peer–chaincode link is mutual TLS; the
 * operations endpoints change nothing (`/logspec`) for a caller without an org client certificate; no TLS
 * certificate (whose key is a file) is a valid MSP identity, so every signing identity's key is in the HSM.
 */

/** The parts of network.json read here (raw, so that this also runs against an older network.json). */
interface NodeJson {
  readonly name: string;
  readonly endpoint: string;
  readonly operationsUrl: string;
  readonly operationsTlsRootCertPath?: string;
  readonly tlsRootCertPath: string;
}

interface NetworkConfig {
  readonly instance: string;
  readonly channel: string;
  readonly chaincodes: Readonly<Record<string, string>>;
  readonly orderers: readonly NodeJson[];
  readonly orgs: Readonly<
    Record<
      string,
      {
        readonly name: string;
        readonly mspId: string;
        readonly mspPath: string;
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

// ------------------------------------------------------------------------- TLS keys as MSP identities

/** A TLS certificate the instance generated, with its key file and the org whose CA issued it. */
interface TlsPair {
  readonly what: string;
  readonly mspId: string;
  readonly certPath: string;
  readonly keyPath: string;
}

const spki = (key: ReturnType<typeof createPublicKey>): Buffer => key.export({ type: 'spki', format: 'der' });

/**
 * Every TLS certificate with a key file: under `crypto-config/generated/<i>` every `tls/<name>.key` with its
 * `<name>.crt` (peers, orderers, the peers' chaincode clients, Admins, chaincode servers), and each
 * fabric-ca server's own `tls-cert.pem` (its key is one of the CA home's keystore files).
 */
function tlsPairs(config: NetworkConfig): TlsPair[] {
  const [generated] = instanceDirs() as [string];
  const mspOf = (orgName: string): string => {
    const org = Object.values(config.orgs).find((o) => o.name === orgName);
    assert.ok(org, `no org named ${orgName} in network.json`);
    return org.mspId;
  };
  const pairs: TlsPair[] = walk(generated)
    .filter((e) => e.stats.isFile() && e.path.endsWith('.key') && basename(dirname(e.path)) === 'tls')
    .map((e) => ({
      what: relative(generated, e.path).replace(/\.key$/, ''),
      mspId: mspOf(relative(generated, e.path).split('/')[0]!),
      certPath: e.path.replace(/\.key$/, '.crt'),
      keyPath: e.path,
    }));
  for (const org of Object.values(config.orgs)) {
    const home = join(repoRoot(), 'network', 'data', suiteInstance(), `ca.${org.name}`);
    const certPath = join(home, 'tls-cert.pem');
    const certKey = spki(new X509Certificate(readFileSync(certPath)).publicKey);
    const keystore = join(home, 'msp', 'keystore');
    const keyName = readdirSync(keystore)
      .filter((name) => name.endsWith('_sk'))
      .find((name) => spki(createPublicKey(createPrivateKey(readFileSync(join(keystore, name))))).equals(certKey));
    assert.ok(keyName, `the key of ${certPath} is in ${keystore}`);
    pairs.push({ what: `ca.${org.name}/tls-cert`, mspId: org.mspId, certPath, keyPath: join(keystore, keyName) });
  }
  return pairs;
}

const NODE_OUS = ['client', 'peer', 'admin', 'orderer'];

/** The NodeOU OUs (`client`, `peer`, `admin`, `orderer`) in a certificate's subject. */
function nodeOusOf(certPath: string): string[] {
  return new X509Certificate(readFileSync(certPath)).subject
    .split('\n')
    .filter((line) => line.startsWith('OU='))
    .map((line) => line.slice(3))
    .filter((ou) => NODE_OUS.includes(ou));
}

/** An error's message with fabric-gateway's per-peer details. */
function errorText(error: unknown): string {
  const details = (error as { details?: readonly { message: string }[] }).details ?? [];
  return [error instanceof Error ? error.message : String(error), ...details.map((d) => d.message)].join('; ');
}

/** A fabric-gateway client signing with the pair's file key evaluates `GetAttestations` on the org's peer. */
async function evaluateAs(config: NetworkConfig, pair: TlsPair): Promise<string> {
  const peer = peersOf(config.orgs[pair.mspId]!)[0]!;
  const client = newGrpcClient(peer.endpoint, readFileSync(peer.tlsRootCertPath));
  const gateway = connect({
    client,
    identity: { mspId: pair.mspId, credentials: readFileSync(pair.certPath) },
    signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(pair.keyPath))),
    evaluateOptions: () => ({ deadline: Date.now() + 10_000 }),
  });
  try {
    const contract = gateway.getNetwork(config.channel).getContract(config.chaincodes.kyc ?? 'kyc');
    await contract.evaluateTransaction('GetAttestations', newPerson().id);
    return 'accepted';
  } catch (error) {
    return `refused: ${errorText(error)}`;
  } finally {
    gateway.close();
    client.close();
  }
}

/**
 * A software-BCCSP MSP directory in a temporary directory, made of the pair's certificate and file key and
 * its org's CA and NodeOUs: what someone holding the TLS files would build. Removed by `dispose`.
 */
function softwareMsp(config: NetworkConfig, pair: TlsPair): { dir: string; dispose: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'kyc-tls-msp-'));
  const dir = join(root, 'msp');
  const orgMsp = config.orgs[pair.mspId]!.mspPath;
  for (const sub of ['signcerts', 'keystore', 'cacerts']) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  copyFileSync(pair.certPath, join(dir, 'signcerts', 'cert.pem'));
  copyFileSync(pair.keyPath, join(dir, 'keystore', 'priv_sk'));
  copyFileSync(join(orgMsp, 'cacerts', 'ca.pem'), join(dir, 'cacerts', 'ca.pem'));
  copyFileSync(join(orgMsp, 'config.yaml'), join(dir, 'config.yaml'));
  return {
    dir,
    dispose: () => {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** The `peer` CLI with a software-BCCSP MSP (Fabric's sample core.yaml: BCCSP SW). */
function peerCli(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): { code: number | null; output: string } {
  const root = repoRoot();
  const result = spawnSync(join(root, 'network', 'bin', 'peer'), args, {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: tmpdir(),
      FABRIC_CFG_PATH: join(root, 'network', 'bin', 'sampleconfig'),
      FABRIC_LOGGING_SPEC: 'ERROR',
      ...env,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** `peer channel fetch config` from the first orderer, as `msp` of `mspId`. */
function fetchConfigArgs(config: NetworkConfig, out: string): string[] {
  const orderer = config.orderers[0]!;
  return [
    'channel',
    'fetch',
    'config',
    out,
    '-c',
    config.channel,
    '-o',
    orderer.endpoint,
    '--tls',
    '--cafile',
    orderer.tlsRootCertPath,
  ];
}

const REFUSED_IDENTITY = /access denied|creator|not valid|identity|permission denied|forbidden/i;

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

  describe('TLS certificates (file keys) are not MSP identities', function () {
    it('issues every TLS certificate without a NodeOU (client, peer, admin, orderer)', function () {
      const pairs = tlsPairs(config);
      // 3 orderers + 3 peers + 3 peer chaincode clients + 3 Admins + 3 chaincode servers + 3 CAs (Raft)
      assert.ok(pairs.length >= 18, `expected every TLS certificate, found ${pairs.length}`);
      const withNodeOu = pairs
        .map((pair) => ({ pair, ous: nodeOusOf(pair.certPath) }))
        .filter(({ ous }) => ous.length > 0)
        .map(({ pair, ous }) => `${pair.what}: OU=${ous.join(',')}`);
      assert.deepEqual(withNodeOu, [], 'TLS certificates carrying a NodeOU are valid MSP identities');
    });

    it('refuses every TLS key as a signer: Deliver from an orderer, and an evaluate on its org peer', async function () {
      // Deliver is allowed to every reader of the channel (Admins, peers, clients of the application orgs;
      // any OrdererMSP member); an evaluate (peer/Propose) to admins and clients of the application orgs.
      const results: string[] = [];
      for (const pair of tlsPairs(config)) {
        const msp = softwareMsp(config, pair);
        try {
          const run = peerCli(fetchConfigArgs(config, join(dirname(msp.dir), 'config.block')), {
            CORE_PEER_LOCALMSPID: pair.mspId,
            CORE_PEER_MSPCONFIGPATH: msp.dir,
          });
          results.push(
            `${pair.what} (orderer Deliver): ${run.code === 0 ? 'accepted' : `refused: ${run.output.trim()}`}`,
          );
        } finally {
          msp.dispose();
        }
        if (peersOf(config.orgs[pair.mspId]!).length > 0) {
          results.push(`${pair.what} (gateway evaluate): ${await evaluateAs(config, pair)}`);
        }
      }
      const accepted = results.filter((line) => !/: refused: /.test(line));
      assert.deepEqual(accepted, [], `TLS keys accepted as signers:\n${accepted.join('\n')}`);
      const otherReasons = results.filter((line) => !REFUSED_IDENTITY.test(line.split(': refused: ')[1] ?? ''));
      assert.deepEqual(otherReasons, [], 'refused, but not for the identity');
      // Controls: the same calls as HSM identities are accepted.
      const bank = await connectAs(networkJsonPath(), 'BankMSP', 'verifier1');
      try {
        const read = await retryWhileConverging(() =>
          bank.contract('kyc').evaluateTransaction('GetAttestations', newPerson().id),
        );
        assert.equal(Buffer.from(read).toString('utf8'), '[]');
      } finally {
        await bank.close();
      }
      const out = mkdtempSync(join(tmpdir(), 'kyc-fetch-'));
      try {
        const fetch = await runNetworkScript(['admin', 'bank', ...fetchConfigArgs(config, join(out, 'config.block'))], {
          env: { KYC_INSTANCE: suiteInstance() },
        });
        assert.equal(fetch.code, 0, `Deliver as the BankOrg Admin (HSM): ${fetch.output}`);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    });

    it("refuses each Admin's TLS key for the admin-only peer lifecycle chaincode queryinstalled", async function () {
      for (const org of Object.values(config.orgs).filter((o) => peersOf(o).length > 0)) {
        const { certPath, keyPath } = adminTlsClient(config, org.mspId);
        const peer = peersOf(org)[0]!;
        const msp = softwareMsp(config, { what: `${org.name} Admin TLS`, mspId: org.mspId, certPath, keyPath });
        try {
          const run = peerCli(['lifecycle', 'chaincode', 'queryinstalled'], {
            CORE_PEER_LOCALMSPID: org.mspId,
            CORE_PEER_MSPCONFIGPATH: msp.dir,
            CORE_PEER_ADDRESS: peer.endpoint,
            CORE_PEER_TLS_ENABLED: 'true',
            CORE_PEER_TLS_ROOTCERT_FILE: peer.tlsRootCertPath,
          });
          assert.notEqual(run.code, 0, `${org.mspId} Admin's TLS key ran queryinstalled:\n${run.output}`);
          assert.match(run.output, REFUSED_IDENTITY, `${org.mspId}: refused, but not for the identity`);
        } finally {
          msp.dispose();
        }
        // Control: the Admin's HSM identity runs it.
        const control = await runNetworkScript(['admin', org.name, 'lifecycle', 'chaincode', 'queryinstalled'], {
          env: { KYC_INSTANCE: suiteInstance() },
        });
        assert.equal(control.code, 0, `queryinstalled as the ${org.mspId} Admin (HSM): ${control.output}`);
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
      // The channel as every node sees it: one Raft leader, every peer at one height and block hash.
      const leaders = status.output.split('\n').filter((line) => /^orderer\d +orderer +\d+ +yes/.test(line));
      assert.equal(leaders.length, 1, status.output);
      assert.match(status.output, /peers agree: height \d+, one current block hash/);
    });
  });
});
