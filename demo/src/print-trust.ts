import { resolve } from 'node:path';
import { loadNetworkConfig } from '../../gateway/src/fabric';
import { bankConfig } from '../../services/src/config';
import { trustBundleFromNetwork } from '../../gateway/src/fabric/trust-bundle';

/**
 * `./kyc trust [MSP…]`: prints the wallet's trust file (CA certificates per organisation) for the running
 * network, default the organisations of its bank services (network.json `services`, e.g. BankMSP):
 * `./kyc trust > trust.json`, then `wallet … scan qr.png --trust trust.json`.
 */
const networkConfigPath = resolve(bankConfig().networkConfigPath);
const banks = loadNetworkConfig(networkConfigPath)
  .services.filter((service) => service.kind === 'bank')
  .map((service) => service.mspId);
const mspIds = process.argv.length > 2 ? process.argv.slice(2) : [...new Set(banks)];
process.stdout.write(`${JSON.stringify(trustBundleFromNetwork(networkConfigPath, mspIds), null, 2)}\n`);
