import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bankConfig, certifierConfig, serviceKindOf } from '../../../services/src/config';
import { REMOVE, sampleNetworkJson, setIn } from '../gateway/fabric/sample-network';
import { isKycError, tempDir } from './fakes';

/**
 * A service's port, organisation and data directory come from its entry in network.json (`services`, written
 * from crypto-config/topology.json); KYC_PORT and KYC_ORG_MSP still override them, KYC_SERVICE picks another
 * instance of the same kind, e.g. a second bank.
 */
describe('services/config: the service instance from network.json', () => {
  let dir: ReturnType<typeof tempDir>;
  let networkJson: string;

  /** Writes network.json with `edit` applied; returns the environment that points at it. */
  const network = (edit: (json: Record<string, unknown>) => void = () => undefined): Record<string, string> => {
    const json = sampleNetworkJson();
    edit(json);
    writeFileSync(networkJson, JSON.stringify(json));
    return { KYC_INSTANCE: 'unit', KYC_NETWORK_CONFIG: networkJson };
  };
  const withSecondBank = (json: Record<string, unknown>): void => {
    (json.services as unknown[]).push(
      { name: 'bank2', kind: 'bank', mspId: 'OrdererMSP', url: 'http://127.0.0.1:8082' },
      { name: 'certifier2', kind: 'certifier', mspId: 'BankMSP', url: 'http://127.0.0.1:8083' },
    );
  };

  beforeEach(() => {
    dir = tempDir();
    networkJson = join(dir.path, 'network.json');
  });
  afterEach(() => {
    dir.remove();
  });

  it('takes port, organisation, public URL and data directory from the service named after the kind', () => {
    const certifier = certifierConfig(network());
    assert.deepEqual(
      [certifier.service, certifier.port, certifier.mspId, certifier.publicUrl],
      ['certifier', 8080, 'CertifierMSP', 'http://127.0.0.1:8080'],
    );
    assert.equal(certifier.dataDir, resolve(__dirname, '../../../../services/data/unit/certifier'));
    const bank = bankConfig(network());
    assert.deepEqual([bank.service, bank.port, bank.mspId], ['bank', 8081, 'BankMSP']);
    assert.deepEqual(bank.trustedCertifiers, ['CertifierMSP']);
  });

  it('keeps KYC_PORT, KYC_ORG_MSP and KYC_TRUSTED_CERTIFIERS as overrides', () => {
    const env = { ...network(), KYC_PORT: '9999', KYC_ORG_MSP: 'OtherMSP', KYC_TRUSTED_CERTIFIERS: 'A, B' };
    const bank = bankConfig(env);
    assert.deepEqual([bank.port, bank.mspId, bank.publicUrl], [9999, 'OtherMSP', 'http://127.0.0.1:9999']);
    assert.deepEqual(bank.trustedCertifiers, ['A', 'B']);
    assert.throws(() => bankConfig({ ...env, KYC_PORT: '70000' }), isKycError('KYC_INVALID_ARGUMENT'));
  });

  it('runs a second bank as data: KYC_SERVICE names its entry, and banks trust every certifier service', () => {
    const env = network(withSecondBank);
    const bank2 = bankConfig({ ...env, KYC_SERVICE: 'bank2' });
    assert.deepEqual([bank2.service, bank2.port, bank2.mspId], ['bank2', 8082, 'OrdererMSP']);
    assert.ok(bank2.dataDir.endsWith(join('services', 'data', 'unit', 'bank2')));
    assert.deepEqual(bank2.trustedCertifiers, ['CertifierMSP', 'BankMSP']);
    assert.equal(serviceKindOf('certifier2', env), 'certifier');
  });

  it('refuses a service of the other kind, an unknown one, or a network.json without services', () => {
    const env = network(withSecondBank);
    assert.throws(
      () => certifierConfig({ ...env, KYC_SERVICE: 'bank2' }),
      (e: unknown) => isKycError('KYC_INVALID_ARGUMENT')(e) && /bank2' is a bank service/.test(String(e)),
    );
    assert.throws(() => certifierConfig({ ...env, KYC_SERVICE: '../x' }), isKycError('KYC_INVALID_ARGUMENT'));
    assert.throws(() => bankConfig({ ...env, KYC_SERVICE: 'bank3' }), {
      code: 'FABRIC_CONFIG_INVALID',
      message: /no service 'bank3' in network\.json \(known: certifier, bank, bank2, certifier2\)/,
    });
    const old = network((json) => {
      setIn(json, ['services'], REMOVE);
    });
    assert.throws(() => bankConfig(old), { code: 'FABRIC_CONFIG_INVALID', message: /network\.sh up/ });
  });

  it('says when network.json cannot be read (the network is not up)', () => {
    assert.throws(() => certifierConfig({ KYC_NETWORK_CONFIG: join(dir.path, 'absent.json') }), {
      code: 'FABRIC_CONFIG_INVALID',
      message: /is the network up/,
    });
  });
});
