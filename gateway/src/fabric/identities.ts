import { readFileSync, statSync } from 'node:fs';
import { openHsm, type FabricSigner, type Hsm, type HsmToken } from '../hsm';
import { FabricSetupError } from './errors';
import { assertKeyMatches, hsmIdentityOf, type HsmIdentity } from './identity';
import { orgOf, type NetworkConfig } from './network-config';

/**
 * The users network.json names (`orgs.<msp>.users.<name>.certPath`), as HSM identities whose keys are in their
 * organisation's `<org>-clients` token, opened with the PIN from `hsm.pinFile`.
 */

/** A user ready to sign: identity, the open token holding its key, and a Fabric signer. */
export interface LoadedUser {
  readonly identity: HsmIdentity;
  readonly token: HsmToken;
  readonly signer: FabricSigner;
  /** Closes this user's token handle (other handles on the token stay open). */
  close(): Promise<void>;
}

/** How to open the org's client token. */
export interface LoadUserOptions {
  /** Sessions of the token's pool, when this is the first opener in the process (default 4). */
  readonly poolSize?: number;
}

/**
 * Reads a PIN file: the first line, without its line ending. Refuses files that group or others may read.
 *
 * @throws FabricSetupError FABRIC_CONFIG_INVALID when the file is unreadable, empty or too open.
 */
export function readPinFile(path: string): string {
  let pin: string;
  try {
    if ((statSync(path).mode & 0o077) !== 0) {
      throw new FabricSetupError('FABRIC_CONFIG_INVALID', `PIN file ${path} must not be readable by group or others`);
    }
    pin = readFileSync(path, 'utf8').split(/\r?\n/, 1)[0] ?? '';
  } catch (cause) {
    if (cause instanceof FabricSetupError) {
      throw cause;
    }
    throw new FabricSetupError('FABRIC_CONFIG_INVALID', `cannot read PIN file ${path}`, { cause });
  }
  if (pin.length === 0) {
    throw new FabricSetupError('FABRIC_CONFIG_INVALID', `PIN file ${path} is empty`);
  }
  return pin;
}

/**
 * Opens the PKCS#11 library network.json names (the process's one library: opening it twice is fine).
 *
 * @throws HsmError as {@link openHsm}.
 */
export function openNetworkHsm(config: NetworkConfig): Promise<Hsm> {
  return openHsm({ library: config.hsm.library, softhsm2Conf: config.hsm.softhsm2Conf });
}

/**
 * Reads the certificate of a user named in network.json.
 *
 * @throws FabricSetupError FABRIC_IDENTITY_UNKNOWN for an unknown org or user, FABRIC_CONFIG_INVALID when the
 *   certificate file is unreadable, FABRIC_IDENTITY_MISMATCH when it has no P-256 key.
 */
export function userIdentity(config: NetworkConfig, mspId: string, userName: string): HsmIdentity {
  const org = orgOf(config, mspId);
  const user = Object.hasOwn(org.users, userName) ? org.users[userName] : undefined;
  if (user === undefined) {
    throw new FabricSetupError(
      'FABRIC_IDENTITY_UNKNOWN',
      `no user ${userName} in ${mspId} (known: ${Object.keys(org.users).join(', ')})`,
    );
  }
  let certificatePem: string;
  try {
    certificatePem = readFileSync(user.certPath, 'utf8');
  } catch (cause) {
    throw new FabricSetupError('FABRIC_CONFIG_INVALID', `cannot read ${user.certPath}`, { cause });
  }
  return hsmIdentityOf(mspId, certificatePem);
}

/**
 * Loads a user named in network.json with its key in the org's client token, and checks that the token holds
 * the certificate's key.
 *
 * @throws FabricSetupError (see {@link userIdentity}, {@link readPinFile}), FABRIC_IDENTITY_MISMATCH when the
 *   token lacks the key; HsmError when the token cannot be opened.
 */
export async function loadUser(
  hsm: Hsm,
  config: NetworkConfig,
  mspId: string,
  userName: string,
  options: Readonly<LoadUserOptions> = {},
): Promise<LoadedUser> {
  const identity = userIdentity(config, mspId, userName);
  const org = orgOf(config, mspId);
  const token = await hsm.openToken({
    label: org.hsm.tokenLabel,
    pin: readPinFile(org.hsm.pinFile),
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
  });
  try {
    await assertKeyMatches(identity, token);
  } catch (error) {
    await token.close();
    throw error;
  }
  return { identity, token, signer: token.fabricSigner(identity.ski), close: () => token.close() };
}
