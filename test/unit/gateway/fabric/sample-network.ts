/** A network.json as network.sh writes it (shape from docs/architecture.md). */
export function sampleNetworkJson(root = '/srv/kyc'): Record<string, unknown> {
  const org = (name: string, mspId: string, port: number, peers: number, users: string[]) => ({
    name,
    mspId,
    mspPath: `${root}/${name}/msp`,
    ca: { url: `https://127.0.0.1:${port}`, caName: `ca-${name}`, tlsCertPath: `${root}/${name}/ca/ca-cert.pem` },
    hsm: { tokenLabel: `${name}-clients`, pinFile: `${root}/hsm/pins/${name}-clients.pin` },
    ...(peers === 0
      ? {}
      : {
          peers: Array.from({ length: peers }, (_, i) => ({
            name: `peer${i}.${name}`,
            endpoint: `127.0.0.1:${port - 3 + i * 100}`,
            operationsUrl: `https://127.0.0.1:${9451 + i}`,
            operationsTlsRootCertPath: `${root}/${name}/peer${i}/tls/ca.crt`,
            tlsRootCertPath: `${root}/${name}/peer${i}/tls/ca.crt`,
            hsmTokenLabel: `peer${i}.${name}`,
            mspPath: `${root}/${name}/peer${i}/msp`,
          })),
        }),
    users: Object.fromEntries(
      users.map((user) => [
        user,
        {
          mspPath: `${root}/${name}/users/${user}/msp`,
          certPath: `${root}/${name}/users/${user}/msp/signcerts/cert.pem`,
        },
      ]),
    ),
  });
  return {
    instance: 'main',
    channel: 'kyc',
    consensus: 'etcdraft',
    chaincodes: { kyc: 'kyc', tickets: 'tickets' },
    hsm: { library: '/usr/lib/softhsm/libsofthsm2.so', softhsm2Conf: `${root}/hsm/softhsm2.conf` },
    orderers: [
      {
        name: 'orderer1',
        endpoint: '127.0.0.1:7050',
        adminEndpoint: '127.0.0.1:7053',
        operationsUrl: 'https://127.0.0.1:9443',
        operationsTlsRootCertPath: `${root}/orderer/orderer1/tls/ca.crt`,
        tlsRootCertPath: `${root}/orderer/orderer1/tls/ca.crt`,
        hsmTokenLabel: 'orderer1',
      },
    ],
    orgs: {
      OrdererMSP: org('orderer', 'OrdererMSP', 7054, 0, ['registrar', 'Admin']),
      CertifierMSP: org('certifier', 'CertifierMSP', 8054, 1, ['registrar', 'Admin', 'officer1', 'clerk1']),
      BankMSP: org('bank', 'BankMSP', 9054, 2, ['registrar', 'Admin', 'verifier1']),
    },
    services: [
      { name: 'certifier', kind: 'certifier', mspId: 'CertifierMSP', url: 'http://127.0.0.1:8080' },
      { name: 'bank', kind: 'bank', mspId: 'BankMSP', url: 'http://127.0.0.1:8081' },
    ],
  };
}

/** Marks a field for removal in {@link setIn}. */
export const REMOVE = Symbol('remove');

/**
 * Sets (or with {@link REMOVE} deletes) the value at `path` in parsed JSON, creating nothing: every step but
 * the last must exist. For building malformed variants of a sample in tests.
 */
export function setIn(json: unknown, path: readonly (string | number)[], value: unknown): void {
  let node = json as Record<string | number, unknown>;
  for (const step of path.slice(0, -1)) {
    node = node[step] as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value === REMOVE) {
    Reflect.deleteProperty(node, last);
  } else {
    node[last] = value;
  }
}
