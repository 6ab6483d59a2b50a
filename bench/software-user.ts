import { execFile } from 'node:child_process';
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { connect, signers, type Gateway } from '@hyperledger/fabric-gateway';
import { newGrpcClient } from '../gateway/src/fabric/connection';
import { orgOf, type NetworkConfig } from '../gateway/src/fabric';

/**
 * A benchmark client whose key is in a file, not in the HSM: `network.sh software-identity` enrolls a twin of
 * a topology user (same type and attributes) with a software key. Only for comparing HSM and software client
 * keys in `./kyc bench`; production clients sign in the HSM (docs/performance.md).
 */

const ROOT = resolve(__dirname, '../..');
const run = promisify(execFile);

/** Enrolls (once) the software twin of `user` of `org` and returns its MSP directory. */
export async function softwareIdentityDir(org: string, user: string): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, 'network/network.sh'), 'software-identity', org, user], {
    cwd: ROOT,
  });
  return stdout.trim().split('\n').pop() ?? '';
}

export interface SoftwareUser {
  readonly gateway: Gateway;
  close(): void;
}

/** Connects the software twin of `user` of `org` (an org key of topology.json, e.g. certifier) to its first peer. */
export async function connectSoftwareUser(config: NetworkConfig, org: string, mspId: string, user: string) {
  const msp = await softwareIdentityDir(org, user);
  const keyFile = readdirSync(join(msp, 'keystore')).find((name) => name.endsWith('_sk'));
  if (keyFile === undefined) throw new Error(`no key in ${msp}/keystore`);
  const peer = orgOf(config, mspId).peers[0];
  if (peer === undefined) throw new Error(`${mspId} has no peer`);
  const client = newGrpcClient(peer.endpoint, readFileSync(peer.tlsRootCertPath));
  const gateway = connect({
    client,
    identity: { mspId, credentials: readFileSync(join(msp, 'signcerts', 'cert.pem')) },
    signer: signers.newPrivateKeySigner(createPrivateKey(readFileSync(join(msp, 'keystore', keyFile)))),
  });
  return {
    gateway,
    close: () => {
      gateway.close();
      client.close();
    },
  } satisfies SoftwareUser;
}
