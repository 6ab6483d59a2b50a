import { resolve } from 'node:path';
import { bankConfig } from '../../services/src/config';
import { trustBundleFromNetwork } from './trust-bundle';

/**
 * `./kyc trust [MSP…]`: prints the wallet's trust file (CA certificates per organisation) for the running
 * network, default BankMSP: `./kyc trust > trust.json`, then `wallet … scan qr.png --trust trust.json`.
 */
const mspIds = process.argv.slice(2);
process.stdout.write(
  `${JSON.stringify(trustBundleFromNetwork(resolve(bankConfig().networkConfigPath), mspIds.length > 0 ? mspIds : ['BankMSP']), null, 2)}\n`,
);
