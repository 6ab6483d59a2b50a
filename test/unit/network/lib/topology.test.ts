import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNetworkConfig, serviceOf, serviceReplicaUrl } from '../../../../gateway/src/fabric';
import { repoRoot } from '../../../support/network';

/**
 * crypto-config/topology.json `services` as network.sh reads it (network/lib/topology.sh) and writes it into
 * network.json (network/lib/netjson.sh): each bad entry stops with its name and the reason, and what is written
 * is what the TypeScript side parses, port offset applied. Runs the real scripts on a copy of the topology.
 */

const TOPOLOGY = JSON.parse(readFileSync(join(repoRoot(), 'crypto-config', 'topology.json'), 'utf8')) as {
  services: Record<string, unknown>[];
};
const LIBS = [
  'common',
  'lab',
  'topology',
  'hsm',
  'ca',
  'crypto',
  'nodeconfig',
  'orderer',
  'peer',
  'channel',
  'chaincode',
];

interface Written {
  readonly status: number | null;
  readonly stderr: string;
  readonly networkJson: unknown;
}

/** Loads `topology` with port offset 3000 and writes network.json from it, as `network.sh up` does. */
function writeNetworkJson(topology: unknown): Written {
  const dir = mkdtempSync(join(tmpdir(), 'kyc-topology-'));
  try {
    writeFileSync(join(dir, 'topology.json'), JSON.stringify(topology));
    const script = [
      'set -euo pipefail',
      ...[...LIBS, 'netjson'].map((lib) => `. network/lib/${lib}.sh`),
      `TOPOLOGY_FILE=${dir}/topology.json CRYPTO_DIR=${dir}`,
      'load_topology etcdraft 3000',
      'write_network_json etcdraft',
    ].join('\n');
    const run = spawnSync('bash', ['-c', script], {
      cwd: repoRoot(),
      env: { ...process.env, KYC_INSTANCE: 'unit-topology' },
      encoding: 'utf8',
    });
    const path = join(dir, 'network.json');
    const networkJson = run.status === 0 ? (JSON.parse(readFileSync(path, 'utf8')) as unknown) : undefined;
    return { status: run.status, stderr: run.stderr, networkJson };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function withServices(services: unknown): unknown {
  return { ...structuredClone(TOPOLOGY), services };
}

const bank2 = { name: 'bank2', org: 'bank', kind: 'bank', port: 8082 };

describe('network/lib/topology: the services of topology.json', () => {
  it('writes each service into network.json with its kind, MSP id and URL, port offset applied', () => {
    const written = writeNetworkJson(TOPOLOGY);
    assert.equal(written.status, 0, written.stderr);
    const config = parseNetworkConfig(written.networkJson);
    assert.deepEqual(
      config.services.map((s) => [s.name, s.kind, s.mspId, s.url]),
      [
        ['certifier', 'certifier', 'CertifierMSP', 'http://127.0.0.1:11080'],
        ['bank', 'bank', 'BankMSP', 'http://127.0.0.1:11081'],
      ],
    );
  });

  it('takes a second bank as one more entry', () => {
    const written = writeNetworkJson(withServices([...TOPOLOGY.services, bank2]));
    assert.equal(written.status, 0, written.stderr);
    const second = serviceOf(parseNetworkConfig(written.networkJson), 'bank2');
    assert.deepEqual([second.kind, second.mspId, second.port], ['bank', 'BankMSP', 11082]);
    assert.equal(serviceReplicaUrl(second, 1), 'http://127.0.0.1:11182');
  });

  const bad: [string, unknown, RegExp][] = [
    ['services that are not an array', {}, /services must be an array of service instances \(got object\)/],
    ['no services', null, /services must be an array .*\(got null\)/],
    ['a name ending in a replica number', [{ ...bank2, name: 'bank-2' }], /'bank-2': a name is lower-case/],
    ['a missing name', [{ ...bank2, name: undefined }], /services: '': a name is lower-case/],
    ['a name listed twice', [bank2, { ...bank2, port: 8083 }], /'bank2': listed twice/],
    ['an unknown org', [{ ...bank2, org: 'bank9' }], /'bank2': org 'bank9' is not one of orgs/],
    ['an unknown kind', [{ ...bank2, kind: 'broker' }], /'bank2': kind must be certifier or bank \(got 'broker'\)/],
    [
      "a kind that is not its org's role",
      [{ ...bank2, kind: 'certifier' }],
      /'bank2': a certifier service needs an org whose role is certifier \(org bank has role 'bank'\)/,
    ],
    ['a port that is a string', [{ ...bank2, port: '8082' }], /'bank2': port must be a number from 1 to 65535/],
    ['a port out of range', [{ ...bank2, port: 65000 }], /'bank2': port must be a number/],
    [
      'a port of another service',
      [bank2, { ...bank2, name: 'bank3' }],
      /'bank3': port 11082 is also the port of service 'bank2'/,
    ],
    ['a port of a node', [{ ...bank2, port: 9051 }], /'bank2': port 12051 is also a port of peer0.bank/],
  ];
  for (const [what, services, message] of bad) {
    it(`stops on ${what}, naming the entry`, () => {
      const written = writeNetworkJson(withServices(services));
      assert.equal(written.status, 1);
      assert.match(written.stderr, /^network\.sh: topology\.json/);
      assert.match(written.stderr, message);
    });
  }
});
