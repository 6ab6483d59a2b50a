import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { ensureNetwork, lastLines, nodeDataDir, repoRoot, suiteInstance } from '../support/network';
import { operationsHealthy } from '../support/operations';

/** The parts of network.json these tests read. */
interface NetworkJson {
  readonly hsm: { readonly library: string; readonly softhsm2Conf: string };
  readonly orderers: readonly {
    readonly name: string;
    readonly tlsRootCertPath: string;
    readonly operationsUrl: string;
    readonly operationsTlsRootCertPath: string;
  }[];
  readonly orgs: Readonly<
    Record<
      string,
      {
        readonly hsm: { readonly tokenLabel: string; readonly pinFile: string };
        readonly peers?: readonly {
          readonly name: string;
          readonly mspPath: string;
          readonly operationsUrl: string;
          readonly operationsTlsRootCertPath: string;
          readonly hsmTokenLabel: string;
        }[];
        readonly users: Readonly<Record<string, { readonly mspPath: string; readonly certPath: string }>>;
      }
    >
  >;
}

/** A node (peer or orderer) with where its MSP and HSM token are. */
interface NodeInfo {
  readonly name: string;
  readonly kind: 'peer' | 'orderer';
  readonly mspPath: string;
  readonly operationsUrl: string;
  readonly operationsCaPath: string;
}

/** One object as `pkcs11-tool --list-objects` prints it. */
interface TokenObject {
  readonly kind: string;
  readonly attributes: ReadonlyMap<string, string>;
}

const PRIVATE_KEY_PEM = /-----BEGIN (?:EC |ENCRYPTED )?PRIVATE KEY-----/;

function loadNetwork(path: string): NetworkJson {
  return JSON.parse(readFileSync(path, 'utf8')) as NetworkJson;
}

function nodesOf(network: NetworkJson): NodeInfo[] {
  const peers = Object.values(network.orgs).flatMap((org) =>
    (org.peers ?? []).map((peer) => ({
      name: peer.name,
      kind: 'peer' as const,
      mspPath: peer.mspPath,
      operationsUrl: peer.operationsUrl,
      operationsCaPath: peer.operationsTlsRootCertPath,
    })),
  );
  // Orderers carry no mspPath in network.json; their MSP sits beside their tls/ directory.
  const orderers = network.orderers.map((orderer) => ({
    name: orderer.name,
    kind: 'orderer' as const,
    mspPath: join(dirname(dirname(orderer.tlsRootCertPath)), 'msp'),
    operationsUrl: orderer.operationsUrl,
    operationsCaPath: orderer.operationsTlsRootCertPath,
  }));
  return [...orderers, ...peers];
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

/** The uncompressed EC point (04 || X || Y) of a certificate's P-256 public key. */
function ecPoint(certPem: string): Buffer {
  const jwk = new X509Certificate(certPem).publicKey.export({ format: 'jwk' });
  assert.equal(jwk.crv, 'P-256');
  return Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
}

/** Fabric's SKI (and so the key's CKA_ID): SHA-256 of the uncompressed EC point. */
function ski(certPem: string): string {
  return createHash('sha256').update(ecPoint(certPem)).digest('hex');
}

function pinFile(network: NetworkJson, label: string): string {
  const anyOrg = Object.values(network.orgs)[0]!;
  return join(dirname(anyOrg.hsm.pinFile), `${label}.pin`);
}

function listTokenObjects(network: NetworkJson, label: string): Promise<TokenObject[]> {
  const pin = readFileSync(pinFile(network, label), 'utf8').trim();
  const args = ['--module', network.hsm.library, '--token-label', label, '--login', '--pin', pin, '--list-objects'];
  return new Promise((resolve, reject) => {
    execFile(
      'pkcs11-tool',
      args,
      { env: { ...process.env, SOFTHSM2_CONF: network.hsm.softhsm2Conf } },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`pkcs11-tool on token ${label} failed: ${error.message}\n${stderr}`));
          return;
        }
        resolve(parseObjects(stdout));
      },
    );
  });
}

function parseObjects(listing: string): TokenObject[] {
  const objects: { kind: string; attributes: Map<string, string> }[] = [];
  for (const line of listing.split('\n')) {
    const header = /^(\S.*?) Object;/.exec(line);
    const attribute = /^\s+([A-Za-z_]+):\s+(.*)$/.exec(line);
    if (header !== null) {
      objects.push({ kind: header[1]!, attributes: new Map() });
    } else if (attribute !== null && objects.length > 0) {
      objects[objects.length - 1]!.attributes.set(attribute[1]!, attribute[2]!.trim());
    }
  }
  return objects;
}

/** Asserts that `token` holds the private key of `certPath` as a sensitive, never-extractable object. */
async function assertKeyInToken(network: NetworkJson, token: string, certPath: string): Promise<void> {
  const pem = readFileSync(certPath, 'utf8');
  const id = ski(pem);
  const objects = await listTokenObjects(network, token);
  const privateKey = objects.find((o) => o.kind === 'Private Key' && o.attributes.get('ID') === id);
  assert.ok(privateKey, `token ${token} has no private key with CKA_ID ${id} (SKI of ${certPath})`);
  const access = (privateKey.attributes.get('Access') ?? '').split(',').map((flag) => flag.trim());
  assert.ok(access.includes('sensitive'), `key ${id} in ${token} is not sensitive: ${access.join(', ')}`);
  assert.ok(access.includes('never extractable'), `key ${id} in ${token} was extractable: ${access.join(', ')}`);
  assert.ok(!access.includes('extractable'), `key ${id} in ${token} is extractable`);
  assert.ok(access.includes('local'), `key ${id} in ${token} was not generated inside the token`);
  // The public half in the token is the certificate's key, so the CKA_ID match is not a coincidence.
  const publicKey = objects.find((o) => o.kind === 'Public Key' && o.attributes.get('ID') === id);
  assert.ok(publicKey, `token ${token} has no public key with CKA_ID ${id}`);
  assert.ok(
    (publicKey.attributes.get('EC_POINT') ?? '').endsWith(ecPoint(pem).toString('hex')),
    `public key ${id} in ${token} is not the key of ${certPath}`,
  );
}

/** `count` distinct free ports on 127.0.0.1 (all held open at once, then released). */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve, reject) => {
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            if (address !== null && typeof address === 'object') {
              resolve(address.port);
            } else {
              reject(new Error('no port'));
            }
          });
        }),
    ),
  );
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** A copy of a node's process: its real env file, with `overrides` applied last. */
class NodeCopy {
  readonly #child: ChildProcess;
  readonly #output: Buffer[] = [];
  readonly #exit: Promise<number | null>;

  constructor(binary: string, args: readonly string[], envFile: string, overrides: Readonly<Record<string, string>>) {
    const assignments = Object.entries(overrides).map(([key, value]) => `${key}=${value}`);
    this.#child = spawn(
      'bash',
      ['-c', 'set -a; . "$1"; set +a; shift; exec env "$@"', '_', envFile, ...assignments, binary, ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' }, stdio: 'pipe' },
    );
    this.#child.stdout?.on('data', (chunk: Buffer) => this.#output.push(chunk));
    this.#child.stderr?.on('data', (chunk: Buffer) => this.#output.push(chunk));
    this.#exit = new Promise((resolve) => {
      this.#child.once('exit', (code) => {
        resolve(code);
      });
    });
  }

  get output(): string {
    return Buffer.concat(this.#output).toString('utf8');
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** The exit code, or `'timeout'` if it still runs after `ms`. */
  async exited(ms: number): Promise<number | null | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => {
        resolve('timeout');
      }, ms);
    });
    try {
      return await Promise.race([this.#exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    if (!this.running) {
      return;
    }
    this.#child.kill('SIGTERM');
    if ((await this.exited(10_000)) === 'timeout') {
      this.#child.kill('SIGKILL');
      await this.exited(5_000);
    }
  }
}

async function waitHealthy(copy: NodeCopy, operationsUrl: string, caPath: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await operationsHealthy(operationsUrl, caPath))) {
    assert.ok(copy.running, `the copy exited instead of starting:\n${lastLines(copy.output, 15)}`);
    assert.ok(Date.now() < deadline, `the copy was not healthy after ${ms} ms:\n${lastLines(copy.output, 15)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('network: node keys live in SoftHSM2', function () {
  this.timeout(120_000);
  let network: NetworkJson;
  let generated: string;
  const copies: NodeCopy[] = [];
  const tempDirs: string[] = [];

  before(async function () {
    const path = await ensureNetwork();
    network = loadNetwork(path);
    generated = dirname(path);
  });

  afterEach(async function () {
    await Promise.all(copies.splice(0).map((copy) => copy.stop()));
    for (const dir of tempDirs.splice(0)) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps private keys only in tls/ directories, never in an MSP', function () {
    const files = walk(generated);
    const keyFiles = files.filter((file) => PRIVATE_KEY_PEM.test(readFileSync(file, 'latin1')));
    const nodes = nodesOf(network);
    // The scanner does find PEM keys: every node has its TLS key file.
    assert.ok(
      keyFiles.length >= nodes.length,
      `expected at least ${nodes.length} TLS key files, found ${keyFiles.length}`,
    );
    for (const file of keyFiles) {
      const parts = relative(generated, file).split(sep);
      assert.ok(parts.includes('tls') && !parts.includes('msp'), `private key outside a tls/ directory: ${file}`);
    }
    const msps = files.filter((file) => basename(file) === 'cert.pem' && basename(dirname(file)) === 'signcerts');
    const users = Object.values(network.orgs).reduce((n, org) => n + Object.keys(org.users).length, 0);
    assert.equal(msps.length, nodes.length + users, 'one signing certificate per node and user');
    for (const cert of msps) {
      const keystore = join(dirname(dirname(cert)), 'keystore');
      const entries = statSync(keystore, { throwIfNoEntry: false }) === undefined ? [] : readdirSync(keystore);
      assert.deepEqual(entries, [], `${keystore} is not empty`);
    }
  });

  it("holds every node's signing key in the node's own token, by CKA_ID = SKI, sensitive and never extractable", async function () {
    const nodes = nodesOf(network);
    assert.ok(nodes.length >= 6, 'at least 3 orderers and 3 peers');
    for (const node of nodes) {
      await assertKeyInToken(network, node.name, join(node.mspPath, 'signcerts', 'cert.pem'));
    }
  });

  it("holds every org identity's key (registrar, Admin, users) in the org's clients token", async function () {
    for (const org of Object.values(network.orgs)) {
      for (const [name, user] of Object.entries(org.users)) {
        assert.ok(existsSync(user.certPath), `certificate of ${name}: ${user.certPath}`);
        await assertKeyInToken(network, org.hsm.tokenLabel, user.certPath);
      }
    }
  });

  for (const kind of ['peer', 'orderer'] as const) {
    it(`a copy of a running ${kind} fails with a PKCS#11 error without its token, and starts with it`, async function () {
      const node = nodesOf(network).find((n) => n.kind === kind)!;
      assert.ok(
        await operationsHealthy(node.operationsUrl, node.operationsCaPath),
        `${node.name} should be running before the test`,
      );
      const work = mkdtempSync(join(tmpdir(), `kyc-hsm-${kind}-`));
      tempDirs.push(work);
      mkdirSync(join(work, 'tokens'));
      const emptyConf = join(work, 'softhsm2.conf');
      writeFileSync(emptyConf, `directories.tokendir = ${join(work, 'tokens')}\nobjectstore.backend = file\n`);
      const binary = join(repoRoot(), 'network', 'bin', kind);
      const args = kind === 'peer' ? ['node', 'start'] : [];
      const envFile = join(nodeDataDir(suiteInstance(), node.name), 'env');
      const ports = await freePorts(3);
      const overrides = (softhsmConf: string, run: string): Record<string, string> => ({
        SOFTHSM2_CONF: softhsmConf,
        ...(kind === 'peer' ? peerOverrides(ports, join(work, run)) : ordererOverrides(ports, join(work, run))),
      });
      // The copy keeps the node's operations TLS (its env file): https, the node's TLS certificate.
      const opsUrl = `https://127.0.0.1:${ports[2]!}`;

      const withoutToken = new NodeCopy(binary, args, envFile, overrides(emptyConf, 'without'));
      copies.push(withoutToken);
      const code = await withoutToken.exited(30_000);
      assert.notEqual(code, 'timeout', `the copy without a token kept running:\n${lastLines(withoutToken.output, 15)}`);
      assert.notEqual(code, 0);
      assert.match(withoutToken.output, /Could not initialize BCCSP PKCS11/);
      assert.match(withoutToken.output, new RegExp(`could not find token with label ${node.name.replace('.', '\\.')}`));

      const withToken = new NodeCopy(binary, args, envFile, overrides(network.hsm.softhsm2Conf, 'with'));
      copies.push(withToken);
      await waitHealthy(withToken, opsUrl, node.operationsCaPath, 60_000);
      await withToken.stop();
      assert.ok(
        await operationsHealthy(node.operationsUrl, node.operationsCaPath),
        `${node.name} should still be running`,
      );
    });
  }
});

/** Spare ports and a scratch ledger for a peer copy; gossip only with itself. */
function peerOverrides(ports: readonly number[], dir: string): Record<string, string> {
  const [listen, chaincode, operations] = ports.map((port) => `127.0.0.1:${port}`);
  return {
    CORE_PEER_LISTENADDRESS: listen!,
    CORE_PEER_ADDRESS: listen!,
    CORE_PEER_CHAINCODELISTENADDRESS: chaincode!,
    CORE_PEER_CHAINCODEADDRESS: chaincode!,
    CORE_OPERATIONS_LISTENADDRESS: operations!,
    CORE_PEER_GOSSIP_ENDPOINT: listen!,
    CORE_PEER_GOSSIP_BOOTSTRAP: listen!,
    CORE_PEER_GOSSIP_EXTERNALENDPOINT: '',
    CORE_PEER_FILESYSTEMPATH: join(dir, 'ledger'),
    CORE_LEDGER_SNAPSHOTS_ROOTDIR: join(dir, 'snapshots'),
  };
}

/** Spare ports and a scratch ledger for an orderer copy (it joins no channel). */
function ordererOverrides(ports: readonly number[], dir: string): Record<string, string> {
  return {
    ORDERER_GENERAL_LISTENPORT: String(ports[0]),
    ORDERER_ADMIN_LISTENADDRESS: `127.0.0.1:${ports[1]!}`,
    ORDERER_OPERATIONS_LISTENADDRESS: `127.0.0.1:${ports[2]!}`,
    ORDERER_FILELEDGER_LOCATION: join(dir, 'ledger'),
    ORDERER_CONSENSUS_WALDIR: join(dir, 'wal'),
    ORDERER_CONSENSUS_SNAPDIR: join(dir, 'snapshot'),
  };
}
