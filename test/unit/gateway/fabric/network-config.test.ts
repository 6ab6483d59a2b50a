import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadNetworkConfig,
  orgOf,
  parseNetworkConfig,
  serviceOf,
  serviceReplicaUrl,
} from '../../../../gateway/src/fabric';
import { REMOVE, sampleNetworkJson, setIn } from './sample-network';

/** A deep copy of the sample with one field changed. */
function edited(path: readonly (string | number)[], value: unknown): unknown {
  const json = structuredClone(sampleNetworkJson());
  setIn(json, path, value);
  return json;
}

describe('gateway/fabric/network-config', () => {
  it('parses network.json into a typed, frozen object', () => {
    const config = parseNetworkConfig(sampleNetworkJson());
    assert.equal(config.channel, 'kyc');
    assert.equal(config.chaincodes.kyc, 'kyc');
    assert.equal(config.hsm.library, '/usr/lib/softhsm/libsofthsm2.so');
    assert.equal(orgOf(config, 'BankMSP').peers.length, 2);
    assert.deepEqual(orgOf(config, 'OrdererMSP').peers, []);
    assert.equal(orgOf(config, 'CertifierMSP').users.officer1?.certPath.endsWith('/cert.pem'), true);
    assert.equal(Object.isFrozen(config.orgs.CertifierMSP?.ca), true);
    assert.throws(() => {
      (config as { channel: string }).channel = 'other';
    }, TypeError);
  });

  const cases: [string, (string | number)[], unknown, string][] = [
    ['a missing channel', ['channel'], REMOVE, '.channel'],
    ['a relative library path', ['hsm', 'library'], 'libsofthsm2.so', '.hsm.library'],
    ['an endpoint without a port', ['orderers', 0, 'endpoint'], '127.0.0.1', '.orderers[0].endpoint'],
    [
      'a port out of range',
      ['orgs', 'BankMSP', 'peers', 1, 'endpoint'],
      '127.0.0.1:70000',
      '.orgs.BankMSP.peers[1].endpoint',
    ],
    ['an mspId that differs from its key', ['orgs', 'BankMSP', 'mspId'], 'OtherMSP', '.orgs.BankMSP.mspId'],
    ['a CA URL that is no URL', ['orgs', 'CertifierMSP', 'ca', 'url'], 'ftp://x', '.orgs.CertifierMSP.ca.url'],
    ['users that are not an object', ['orgs', 'CertifierMSP', 'users'], [], '.orgs.CertifierMSP.users'],
    [
      'a user with a path-like name',
      ['orgs', 'CertifierMSP', 'users', '../x'],
      { mspPath: '/a', certPath: '/b' },
      '.orgs.CertifierMSP.users.../x',
    ],
    ['peers that are not an array', ['orgs', 'BankMSP', 'peers'], {}, '.orgs.BankMSP.peers'],
    ['a chaincode name that is not a string', ['chaincodes', 'kyc'], 1, '.chaincodes.kyc'],
    ['a missing pin file', ['orgs', 'BankMSP', 'hsm', 'pinFile'], REMOVE, '.orgs.BankMSP.hsm.pinFile'],
    [
      'a plaintext operations URL',
      ['orderers', 0, 'operationsUrl'],
      'http://127.0.0.1:9443',
      '.orderers[0].operationsUrl',
    ],
    [
      "a peer's missing operations TLS root",
      ['orgs', 'BankMSP', 'peers', 0, 'operationsTlsRootCertPath'],
      REMOVE,
      '.orgs.BankMSP.peers[0].operationsTlsRootCertPath',
    ],
    ['services that are not an array', ['services'], {}, '.services'],
    ['a service of an unknown kind', ['services', 1, 'kind'], 'broker', '.services[1].kind'],
    ['a service of an org not in .orgs', ['services', 1, 'mspId'], 'OtherBankMSP', '.services[1].mspId'],
    ['a service without a port', ['services', 0, 'url'], 'http://127.0.0.1', '.services[0].url'],
    ['a service port out of range', ['services', 0, 'url'], 'http://127.0.0.1:65536', '.services[0].url'],
    ['a service URL with a path', ['services', 0, 'url'], 'http://127.0.0.1:8080/v1', '.services[0].url'],
    ['a service name ending in a replica number', ['services', 1, 'name'], 'bank-1', '.services[1].name'],
    ['a service name listed twice', ['services', 1, 'name'], 'certifier', '.services[1].name'],
  ];

  for (const [what, field, value, path] of cases) {
    it(`rejects ${what}, naming ${path}`, () => {
      assert.throws(
        () => parseNetworkConfig(edited(field, value)),
        (error: { code?: string; path?: string }) => {
          assert.equal(error.code, 'FABRIC_CONFIG_INVALID');
          assert.equal(error.path, path);
          return true;
        },
      );
    });
  }

  it('lists the services with their kind, organisation, URL and port; replica i on port + 100·i', () => {
    const config = parseNetworkConfig(sampleNetworkJson());
    assert.deepEqual(
      config.services.map((s) => [s.name, s.kind, s.mspId, s.port]),
      [
        ['certifier', 'certifier', 'CertifierMSP', 8080],
        ['bank', 'bank', 'BankMSP', 8081],
      ],
    );
    const bank = serviceOf(config, 'bank');
    assert.equal(bank.url, 'http://127.0.0.1:8081');
    assert.equal(serviceReplicaUrl(bank, 0), bank.url);
    assert.equal(serviceReplicaUrl(bank, 2), 'http://127.0.0.1:8281');
    assert.equal(Object.isFrozen(bank), true);
  });

  it('takes a second bank as one more entry, and names the known services when asked for another', () => {
    const json = sampleNetworkJson();
    const second = { name: 'bank2', kind: 'bank', mspId: 'BankMSP', url: 'http://127.0.0.1:8082' };
    (json.services as unknown[]).push(second);
    const config = parseNetworkConfig(json);
    assert.equal(serviceOf(config, 'bank2').port, 8082);
    assert.throws(() => serviceOf(config, 'bank3'), /FABRIC_CONFIG_INVALID.*certifier, bank, bank2/);
  });

  it('reads a network.json older than the services as one without services', () => {
    const config = parseNetworkConfig(edited(['services'], REMOVE));
    assert.deepEqual(config.services, []);
    assert.throws(() => serviceOf(config, 'certifier'), /network\.sh up/);
  });

  it('rejects a root that is not an object', () => {
    assert.throws(() => parseNetworkConfig([]), { code: 'FABRIC_CONFIG_INVALID' });
  });

  describe('loading', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'kyc-netjson-'));
    });
    after(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    it('loads a file, and gives FABRIC_CONFIG_INVALID for a missing or non-JSON one', () => {
      const path = join(dir, 'network.json');
      writeFileSync(path, JSON.stringify(sampleNetworkJson()));
      assert.equal(loadNetworkConfig(path).instance, 'main');
      assert.throws(() => loadNetworkConfig(join(dir, 'absent.json')), { code: 'FABRIC_CONFIG_INVALID' });
      writeFileSync(path, '{ not json');
      assert.throws(() => loadNetworkConfig(path), { code: 'FABRIC_CONFIG_INVALID' });
    });

    it('names the known organisations when asked for an unknown one', () => {
      const config = parseNetworkConfig(sampleNetworkJson());
      assert.throws(() => orgOf(config, 'NopeMSP'), /FABRIC_IDENTITY_UNKNOWN.*CertifierMSP/);
      assert.throws(() => orgOf(config, 'constructor'), { code: 'FABRIC_IDENTITY_UNKNOWN' });
    });
  });
});
