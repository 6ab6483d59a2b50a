import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  certifyPerson,
  enrollOfficer,
  freshOfficerName,
  openRegistration,
  present,
  scanRegistration,
} from '../../demo/src/flow';
import type { ServiceClient } from '../../demo/src/service-client';
import { loadNetworkConfig, serviceOf, serviceReplicaUrl } from '../../gateway/src/fabric';
import { trustBundleFromNetwork } from '../../gateway/src/fabric/trust-bundle';
import { certificationRequest, commitmentFor, salt, uniqueClaims } from '../../protocol/testing/simulated-person';
import { createPersonKey, type Credential, type PersonKey } from '../../wallet/src';
import { toKycError } from '../../gateway/src/errors';
import { rejectsWith } from '../support/assertions';
import { connectAs, type TestConnection } from '../support/fabric';
import {
  instanceProcesses,
  lastLines,
  networkJsonPath,
  repoRoot,
  runNetworkScript,
  assertSucceeded,
  instanceNetwork,
} from '../support/network';

/**
 * A growing consortium on a throwaway instance beside the developer's: Certifier2Org and Bank2Org join the
 * running channel (`network.sh org add`: configtxlator update signed by a majority of Admins' HSM keys, the
 * committed chaincode approved, roles on the ledger), people certified before keep working, each bank keeps
 * its own trust list, a certifier can never change another certifier's record, and a role change takes a
 * majority of organisations.
 */

const INSTANCE = 'consortium';
const OFFSET = 40000;
const ENV = { KYC_INSTANCE: INSTANCE, KYC_PORT_OFFSET: String(OFFSET) };
const NETWORK_JSON = networkJsonPath(INSTANCE);
/** fabric-protos TxValidationCode.ENDORSEMENT_POLICY_FAILURE. */
const ENDORSEMENT_POLICY_FAILURE = 10;

const network = instanceNetwork(ENV);

function services(...args: string[]): void {
  const result = spawnSync('bash', [join(repoRoot(), 'services', 'services.sh'), ...args], {
    cwd: repoRoot(),
    // Level 1 (no document evidence) keeps this test about organisations, not intake.
    env: { ...process.env, ...ENV, KYC_MIN_LEVEL: '1' },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`services.sh ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

function serviceUrl(name: string): string {
  return serviceReplicaUrl(serviceOf(loadNetworkConfig(NETWORK_JSON), name), 0);
}

function adminToken(service: string): string {
  return readFileSync(join(repoRoot(), 'services', 'data', INSTANCE, service, 'admin-token'), 'utf8').trim();
}

async function officer(service: string): Promise<ServiceClient> {
  return enrollOfficer(serviceUrl(service), adminToken(service), freshOfficerName(`${service}-officer`));
}

/** A ledger call through the raw gateway rejects with the contract's error `code`. */
async function ledgerRejects(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    assert.equal(toKycError(err).code, code, toKycError(err).message);
    return;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

interface Consortium {
  readonly members: readonly { readonly msp: string; readonly role: string; readonly status: string }[];
  readonly pending: readonly { readonly proposalId: string; readonly approvals: readonly string[] }[];
}

interface Verdict {
  readonly verified: boolean;
  readonly certifier?: string;
  readonly reason?: string;
}

describe('consortium: organisations join the running channel and roles are governed on the ledger', function () {
  this.timeout(600_000);
  const connections: TestConnection[] = [];
  const walletDirs: string[] = [];
  let rogue: ChildProcess | undefined;

  async function as(msp: string, user: string): Promise<TestConnection> {
    const connection = await connectAs(NETWORK_JSON, msp, user);
    connections.push(connection);
    return connection;
  }

  async function consortium(): Promise<Consortium> {
    const admin = await as('CertifierMSP', 'Admin');
    return JSON.parse(
      Buffer.from(await admin.contract('kyc').evaluateTransaction('GetConsortium')).toString(),
    ) as Consortium;
  }

  async function memberStatus(msp: string): Promise<string | undefined> {
    return (await consortium()).members.find((m) => m.msp === msp)?.status;
  }

  async function isVerified(personId: string, trusted: readonly string[]): Promise<Verdict> {
    const bank = await as('BankMSP', 'verifier1');
    const answer = await bank.contract('kyc').evaluateTransaction('IsVerified', personId, '1', JSON.stringify(trusted));
    return JSON.parse(Buffer.from(answer).toString()) as Verdict;
  }

  async function newWallet(): Promise<PersonKey> {
    const dir = mkdtempSync(join(tmpdir(), 'kyc-wallet-'));
    walletDirs.push(dir);
    return createPersonKey(dir);
  }

  /** A person certified at level 1 through `service` (a certifier service of this instance). */
  async function certifiedAt(service: string): Promise<{ key: PersonKey; credential: Credential }> {
    const key = await newWallet();
    const { credential } = await certifyPerson({
      certifierUrl: serviceUrl(service),
      officer: await officer(service),
      key,
      claims: uniqueClaims(),
      level: 1,
    });
    return { key, credential };
  }

  /** The person presents at `bank` (a bank service of this instance); resolves to the bank's answer status. */
  async function presentAt(bank: string, person: { key: PersonKey; credential: Credential }): Promise<string> {
    const desk = await officer(bank);
    const opened = await openRegistration(desk, { claims: ['given_name'], purpose: 'Open an account', minLevel: 1 });
    const banks = loadNetworkConfig(NETWORK_JSON).services.filter((s) => s.kind === 'bank');
    const trust = trustBundleFromNetwork(
      NETWORK_JSON,
      banks.map((s) => s.mspId),
    );
    const registration = { ...scanRegistration(opened.png, trust), registrationId: opened.registrationId };
    const { response } = await present({ ...person, registration, claimNames: ['given_name'] });
    return (response as { status: string }).status;
  }

  // SoftHSM sees only the tokens that existed when the library was loaded: closing every connection unloads it,
  // so the next test sees the tokens of organisations added since.
  afterEach(async function () {
    for (const connection of connections.splice(0)) await connection.close().catch(() => undefined);
  });

  before(async function () {
    assertSucceeded(await network('clean'), 'clean before the test');
    assertSucceeded(await runNetworkScript(['up'], { env: ENV, echo: true }), 'up');
    services('start');
  });

  after(async function () {
    rogue?.kill('SIGKILL');
    for (const connection of connections) await connection.close().catch(() => undefined);
    for (const dir of walletDirs) rmSync(dir, { recursive: true, force: true });
    spawnSync('bash', [join(repoRoot(), 'services', 'services.sh'), 'clean'], {
      cwd: repoRoot(),
      env: { ...process.env, ...ENV },
    });
    const clean = await network('clean');
    assert.equal(clean.code, 0, `clean after the test failed:\n${lastLines(clean.output, 20)}`);
    assert.deepEqual(instanceProcesses(INSTANCE), []);
  });

  let early: { key: PersonKey; credential: Credential };
  let second: { key: PersonKey; credential: Credential };

  it('founds the consortium from the topology roles when the channel is created', async function () {
    const { members, pending } = await consortium();
    assert.deepEqual(
      members.map((m) => `${m.msp} ${m.role} ${m.status}`),
      ['BankMSP bank active', 'CertifierMSP certifier active'],
    );
    assert.deepEqual(pending, []);
    early = await certifiedAt('certifier');
    assert.equal(await presentAt('bank', early), 'verified');
  });

  it('adds Certifier2Org and Bank2Org to the running channel, each signed by a majority of Admins', async function () {
    const certifier2 = await runNetworkScript(['org', 'add', '--name', 'certifier2', '--role', 'certifier'], {
      env: ENV,
      echo: true,
    });
    assertSucceeded(certifier2, 'org add certifier2');
    assert.match(certifier2.output, /signers: a majority \(2 of 2\)/);
    assert.match(certifier2.output, /signed by CertifierMSP Admin \(key in HSM token certifier-clients\)/);
    const bank2 = await runNetworkScript(['org', 'add', '--name', 'bank2', '--role', 'bank'], { env: ENV, echo: true });
    assertSucceeded(bank2, 'org add bank2');
    assert.match(bank2.output, /signers: a majority \(2 of 3\)/);
    // Running it again finds everything done.
    const again = await network('org', 'add', '--name', 'bank2', '--role', 'bank');
    assertSucceeded(again, 'org add bank2 again');
    assert.match(again.output, /Bank2MSP is already in the channel configuration/);
    assert.match(again.output, /Bank2MSP is already an active bank/);
    services('start'); // starts the two new services; the first two keep running (and keep their trust lists)

    const { members } = await consortium();
    assert.deepEqual(
      members.map((m) => `${m.msp} ${m.role} ${m.status}`),
      [
        'Bank2MSP bank active',
        'BankMSP bank active',
        'Certifier2MSP certifier active',
        'CertifierMSP certifier active',
      ],
    );
    const status = await network('status');
    assertSucceeded(status, 'status');
    assert.match(status.output, /peer0\.certifier2 +peer .* healthy/);
    assert.match(status.output, /peer0\.bank2 +peer .* healthy/);
    assert.match(status.output, /peers agree: height \d+, one current block hash/);
    // Certified before the growth: still verified, now also at the new bank.
    assert.equal(await presentAt('bank2', early), 'verified');
  });

  it('verifies a person certified by Certifier2Org at Bank2Org; BankOrg, which does not trust it, refuses with KYC_UNTRUSTED', async function () {
    second = await certifiedAt('certifier2');
    assert.equal(second.credential.record.certifier, 'Certifier2MSP');
    assert.equal(await presentAt('bank2', second), 'verified');
    await rejectsWith(presentAt('bank', second), 'KYC_UNTRUSTED');
  });

  it("Certifier2Org cannot revoke or renew CertifierOrg's record, through its chaincode or a hand-built transaction", async function () {
    const other = await as('Certifier2MSP', 'officer1');
    const kyc = other.contract('kyc');
    // Its own chaincode builds the key from the caller's MSP: CertifierOrg's record is out of reach.
    await ledgerRejects(kyc.submitTransaction('Revoke', early.key.did, 'identity', 'other'), 'KYC_NOT_FOUND');
    // Even with the person's genuine request addressed to it, Renew finds only Certifier2Org's own record.
    const claims = uniqueClaims();
    const request = await certificationRequest(
      { id: early.key.did, sign: early.key.sign },
      { aud: 'Certifier2MSP', claims, claimsSalt: salt() },
    );
    const { commitment } = commitmentFor(claims, { level: 1 });
    await ledgerRejects(
      kyc.submitTransaction('Renew', early.key.did, 'identity', request, commitment),
      'KYC_NOT_FOUND',
    );

    // Certifier2Org replaces its own kyc server by one that writes any record, and endorses on its own peer.
    const killed = await network('kill', 'cc-kyc.certifier2');
    assertSucceeded(killed, 'kill cc-kyc.certifier2');
    try {
      rogue = startRogueServer();
      await waitForPort(rogueServerPort());
      const proposal = kyc.newProposal('RevokeAnyRecord', {
        arguments: [early.key.did, 'CertifierMSP', 'identity'],
        endorsingOrganizations: ['Certifier2MSP'],
      });
      const transaction = await proposal.endorse();
      const status = await (await transaction.submit()).getStatus();
      assert.equal(status.code, ENDORSEMENT_POLICY_FAILURE, `commit status ${status.code}`);
      assert.equal(status.successful, false);
    } finally {
      rogue?.kill('SIGKILL');
      rogue = undefined;
      assertSucceeded(await network('restart', 'cc-kyc.certifier2'), 'restart cc-kyc.certifier2');
    }
    const verdict = await isVerified(early.key.did, ['CertifierMSP']);
    assert.equal(verdict.verified, true, 'the record is unchanged');
  });

  it('a role change signed by one organisation does not take effect; signed by a majority it does', async function () {
    const proposalId = `suspend-${randomBytes(4).toString('hex')}`;
    const certifierAdmin = (await as('CertifierMSP', 'Admin')).contract('kyc');
    await certifierAdmin.submitTransaction('ProposeRoleChange', proposalId, 'Certifier2MSP', 'certifier', 'suspended');
    assert.equal(await memberStatus('Certifier2MSP'), 'active', 'one of four is not a majority');
    // An officer is not an Admin: no vote.
    const officer2 = (await as('BankMSP', 'verifier1')).contract('kyc');
    await ledgerRejects(officer2.submitTransaction('ApproveRoleChange', proposalId), 'KYC_FORBIDDEN');
    await (await as('BankMSP', 'Admin')).contract('kyc').submitTransaction('ApproveRoleChange', proposalId);
    assert.equal(await memberStatus('Certifier2MSP'), 'active', 'two of four is not a majority');
    assert.equal((await isVerified(second.key.did, ['Certifier2MSP'])).verified, true);
    await (await as('Bank2MSP', 'Admin')).contract('kyc').submitTransaction('ApproveRoleChange', proposalId);
    assert.equal(await memberStatus('Certifier2MSP'), 'suspended', 'three of four is');

    // A suspended certifier's records stop counting, and it cannot certify.
    const verdict = await isVerified(second.key.did, ['Certifier2MSP']);
    assert.equal(verdict.verified, false);
    assert.equal(verdict.reason, 'certifier-suspended');
    await rejectsWith(presentAt('bank2', second), 'KYC_UNTRUSTED');
    await rejectsWith(certifiedAt('certifier2'), 'KYC_FORBIDDEN');

    assertSucceeded(await network('org', 'resume', '--name', 'certifier2'), 'org resume certifier2');
    assert.equal(await memberStatus('Certifier2MSP'), 'active');
    assert.equal(await presentAt('bank2', second), 'verified');
  });

  it('removes Bank2Org: role removed on the ledger, out of the channel, its processes stopped and its data gone', async function () {
    services('stop', 'bank2');
    const removed = await runNetworkScript(['org', 'remove', '--name', 'bank2'], { env: ENV, echo: true });
    assertSucceeded(removed, 'org remove bank2');
    assert.equal(await memberStatus('Bank2MSP'), 'removed');
    const list = await network('org', 'list');
    assertSucceeded(list, 'org list');
    assert.doesNotMatch(list.output, /bank2/);
    assert.ok(!instanceProcessNames().some((name) => name.endsWith('.bank2')), 'no bank2 process left');
    const status = await network('status');
    assertSucceeded(status, 'status after remove');
    // The rest of the consortium carries on: Certify now needs 2 of 3 organisations again.
    const third = await certifiedAt('certifier');
    assert.equal(await presentAt('bank', third), 'verified');
  });

  function instanceProcessNames(): string[] {
    return instanceProcesses(INSTANCE).map((pid) => {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      return /KYC_NETWORK_PROCESS=[^/]+\/([^\0]+)/.exec(environ)?.[1] ?? '';
    });
  }
});

function rogueServerPort(): number {
  const added = JSON.parse(readFileSync(join(repoRoot(), 'network', 'data', INSTANCE, 'orgs-added.json'), 'utf8')) as {
    servers: { kyc: { org: string; port: number }[] };
  };
  const server = added.servers.kyc.find((s) => s.org === 'certifier2');
  assert.ok(server, 'certifier2 serves kyc');
  return server.port + OFFSET;
}

/** Certifier2Org's modified kyc server (test/support/rogue-kyc), with the real server's package id and TLS keys. */
function startRogueServer(): ChildProcess {
  const root = repoRoot();
  const deployed = readFileSync(join(root, 'network', 'data', INSTANCE, 'chaincode', 'kyc', 'deployed'), 'utf8');
  const packageId = /^package\.certifier2=(.+)$/m.exec(deployed)?.[1];
  assert.ok(packageId, 'certifier2 has a kyc package');
  const tls = join(root, 'crypto-config', 'generated', INSTANCE, 'certifier2', 'ccservers', 'cc-kyc.certifier2', 'tls');
  return spawn(
    'node',
    [
      'node_modules/fabric-shim/cli.js',
      'server',
      '--chaincode-address',
      `127.0.0.1:${rogueServerPort()}`,
      '--chaincode-id',
      packageId,
      '--module-path',
      'test/support/rogue-kyc',
      '--chaincode-tls-cert-file',
      join(tls, 'server.crt'),
      '--chaincode-tls-key-file',
      join(tls, 'server.key'),
      '--chaincode-tls-client-cacert-file',
      join(tls, 'ca.crt'),
    ],
    { cwd: root, env: { ...process.env, CORE_PEER_LOCALMSPID: 'Certifier2MSP' }, stdio: 'ignore' },
  );
}

async function waitForPort(port: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + 30_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => {
        resolve(false);
      });
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port} after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
