import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNetworkConfig, orgOf } from './network-config';

/**
 * The wallet's trust file for a local network: each named organisation's root CA certificates, read from its
 * MSP directory in network.json. In production a consortium publishes this bundle; here it is derived.
 */
export function trustBundleFromNetwork(networkConfigPath: string, mspIds: readonly string[]): Record<string, string[]> {
  const network = loadNetworkConfig(networkConfigPath);
  return Object.fromEntries(
    mspIds.map((mspId) => {
      const dir = join(orgOf(network, mspId).mspPath, 'cacerts');
      const pems = readdirSync(dir)
        .filter((f) => f.endsWith('.pem'))
        .map((f) => readFileSync(join(dir, f), 'utf8'));
      return [mspId, pems];
    }),
  );
}
