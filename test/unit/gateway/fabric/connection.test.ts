import assert from 'node:assert/strict';
import { X509Certificate, verify } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { isLowS, openHsm, type Hsm, type HsmToken } from '../../../../gateway/src/hsm';
import {
  connectGateway,
  connectUser,
  hsmIdentityOf,
  loadUser,
  parseNetworkConfig,
  readPinFile,
  type NetworkConfig,
} from '../../../../gateway/src/fabric';
import { softHsm } from '../../../support/softhsm';
import { startFakeGateway, type FakeGateway } from './fake-gateway';
import { createTestPki, type TestPki } from './pki';
import { sampleNetworkJson, setIn } from './sample-network';

/** DER ECDSA-Sig-Value → r || s. */
function derToP1363(der: Buffer): Buffer {
  const rLength = der[3]!;
  const r = der.subarray(4, 4 + rLength);
  const s = der.subarray(6 + rLength);
  return Buffer.concat([
    Buffer.concat([Buffer.alloc(32), r]).subarray(-32),
    Buffer.concat([Buffer.alloc(32), s]).subarray(-32),
  ]);
}

describe('gateway/fabric: connections and identities with HSM keys', function () {
  this.timeout(30_000);
  const fixture = softHsm();
  const fabricToken = fixture.token('fabric');
  let hsm: Hsm;
  let token: HsmToken;
  let pki: TestPki;
  let peer: FakeGateway;
  let dir: string;
  let config: NetworkConfig;
  let officerCertificate: string;

  /** network.json for the fake peer, with the officer's certificate and the fixture's token. */
  function writeNetwork(changes: readonly [(string | number)[], unknown][] = []): NetworkConfig {
    const json = sampleNetworkJson(dir);
    const certifier = ['orgs', 'CertifierMSP'];
    for (const [path, value] of [
      [['hsm'], { library: fixture.library, softhsm2Conf: fixture.conf }],
      [[...certifier, 'hsm'], { tokenLabel: fabricToken.label, pinFile: join(dir, 'pin') }],
      [[...certifier, 'peers', 0, 'endpoint'], peer.endpoint],
      [[...certifier, 'peers', 0, 'tlsRootCertPath'], join(dir, 'tls-root.pem')],
      [[...certifier, 'users', 'officer1', 'certPath'], join(dir, 'officer1.pem')],
      [[...certifier, 'users', 'stranger'], { mspPath: dir, certPath: join(dir, 'stranger.pem') }],
      ...changes,
    ] as [(string | number)[], unknown][]) {
      setIn(json, path, value);
    }
    return parseNetworkConfig(json);
  }

  before(async () => {
    hsm = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
    token = await hsm.openToken({ label: fabricToken.label, pin: fabricToken.pin });
    pki = createTestPki();
    peer = await startFakeGateway(pki.serverCertificate());
    dir = mkdtempSync(join(tmpdir(), 'kyc-fabric-'));
    writeFileSync(join(dir, 'tls-root.pem'), pki.caCertPem);
    writeFileSync(join(dir, 'pin'), `${fabricToken.pin}\n`, { mode: 0o600 });
    officerCertificate = (await pki.certifyHsmKey(token, 'officer1')).certificatePem;
    writeFileSync(join(dir, 'officer1.pem'), officerCertificate);
    writeFileSync(join(dir, 'stranger.pem'), pki.certifySoftwareKey('stranger'));
    config = writeNetwork();
  });

  after(async () => {
    await peer.stop();
    await hsm.close();
    pki.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('evaluates through fabric-gateway, signing proposals in the HSM as a peer can verify (DER, low-S)', async () => {
    const connection = await connectUser(hsm, config, 'CertifierMSP', 'officer1');
    try {
      const before = peer.received.length;
      const result = await connection.gateway.getNetwork('kyc').getContract('kyc').evaluateTransaction('Ping', 'a');
      assert.match(Buffer.from(result).toString(), /^evaluated \d+$/);
      const proposal = peer.received[before]!;
      assert.equal(proposal.channelId, 'kyc');
      const certificateKey = new X509Certificate(officerCertificate).publicKey;
      assert.equal(
        verify('sha256', proposal.proposalBytes, { key: certificateKey, dsaEncoding: 'der' }, proposal.signature),
        true,
      );
      assert.equal(isLowS(derToP1363(proposal.signature)), true);
      // The creator in the proposal header is this MSP id and certificate.
      assert.ok(proposal.proposalBytes.includes(Buffer.from('CertifierMSP')));
      assert.ok(proposal.proposalBytes.includes(Buffer.from(officerCertificate)));
    } finally {
      await connection.close();
    }
  });

  it('signs 100 concurrent proposals, every one valid', async () => {
    const connection = await connectUser(hsm, config, 'CertifierMSP', 'officer1');
    try {
      const contract = connection.gateway.getNetwork('kyc').getContract('kyc');
      const before = peer.received.length;
      await Promise.all(Array.from({ length: 100 }, (_, i) => contract.evaluateTransaction('Ping', String(i))));
      const key = new X509Certificate(officerCertificate).publicKey;
      const received = peer.received.slice(before);
      assert.equal(received.length, 100);
      for (const proposal of received) {
        assert.equal(verify('sha256', proposal.proposalBytes, { key, dsaEncoding: 'der' }, proposal.signature), true);
      }
    } finally {
      await connection.close();
    }
  });

  it('applies the evaluate deadline afresh to each call', async () => {
    const connection = await connectUser(hsm, config, 'CertifierMSP', 'officer1', { deadlines: { evaluateMs: 150 } });
    try {
      const contract = connection.gateway.getNetwork('kyc').getContract('kyc');
      peer.delayMs = 600;
      await assert.rejects(contract.evaluateTransaction('Slow'), {
        name: 'GatewayError',
        code: status.DEADLINE_EXCEEDED,
      });
      peer.delayMs = 0;
      await new Promise((done) => setTimeout(done, 200));
      assert.match(Buffer.from(await contract.evaluateTransaction('Fast')).toString(), /^evaluated/);
    } finally {
      peer.delayMs = 0;
      await connection.close();
    }
  });

  it('trusts only the TLS root from the configuration', async () => {
    const otherRoot = createTestPki();
    try {
      const connection = await connectGateway({
        endpoint: peer.endpoint,
        tlsRootCertPem: otherRoot.caCertPem,
        identity: hsmIdentityOf('CertifierMSP', officerCertificate),
        token,
        deadlines: { evaluateMs: 2_000 },
      });
      try {
        await assert.rejects(connection.gateway.getNetwork('kyc').getContract('kyc').evaluateTransaction('Ping'), {
          code: status.UNAVAILABLE,
        });
      } finally {
        connection.close();
        connection.close();
      }
    } finally {
      otherRoot.dispose();
    }
  });

  it('refuses a certificate whose key is not in the token, closing what it opened', async () => {
    await assert.rejects(loadUser(hsm, config, 'CertifierMSP', 'stranger'), { code: 'FABRIC_IDENTITY_MISMATCH' });
    await assert.rejects(
      connectGateway({
        endpoint: peer.endpoint,
        tlsRootCertPem: pki.caCertPem,
        identity: hsmIdentityOf('CertifierMSP', readFileSync(join(dir, 'stranger.pem'), 'utf8')),
        token,
      }),
      { code: 'FABRIC_IDENTITY_MISMATCH' },
    );
    assert.deepEqual(token.stats().busy, 0);
  });

  it('names unknown organisations, users and peers with FABRIC_IDENTITY_UNKNOWN', async () => {
    await assert.rejects(loadUser(hsm, config, 'CertifierMSP', 'nobody'), /FABRIC_IDENTITY_UNKNOWN.*officer1/);
    await assert.rejects(loadUser(hsm, config, 'NopeMSP', 'officer1'), { code: 'FABRIC_IDENTITY_UNKNOWN' });
    await assert.rejects(connectUser(hsm, config, 'OrdererMSP', 'Admin'), { code: 'FABRIC_IDENTITY_UNKNOWN' });
    await assert.rejects(connectUser(hsm, config, 'CertifierMSP', 'officer1', { peerName: 'peer9' }), {
      code: 'FABRIC_IDENTITY_UNKNOWN',
    });
  });

  it('reads PIN files strictly: first line only, mode 600, not empty', () => {
    assert.equal(readPinFile(join(dir, 'pin')), fabricToken.pin);
    const open = join(dir, 'open.pin');
    writeFileSync(open, 'x');
    chmodSync(open, 0o644);
    assert.throws(() => readPinFile(open), { code: 'FABRIC_CONFIG_INVALID' });
    const empty = join(dir, 'empty.pin');
    writeFileSync(empty, '\n', { mode: 0o600 });
    assert.throws(() => readPinFile(empty), { code: 'FABRIC_CONFIG_INVALID' });
    assert.throws(() => readPinFile(join(dir, 'absent.pin')), { code: 'FABRIC_CONFIG_INVALID' });
  });

  it('fails with the HSM error when the PIN file holds the wrong PIN', async () => {
    writeFileSync(join(dir, 'wrong.pin'), 'not-the-pin', { mode: 0o600 });
    const wrong = writeNetwork([[['orgs', 'CertifierMSP', 'hsm', 'pinFile'], join(dir, 'wrong.pin')]]);
    await assert.rejects(loadUser(hsm, wrong, 'CertifierMSP', 'officer1'), { code: 'HSM_LOGIN_FAILED' });
  });
});
