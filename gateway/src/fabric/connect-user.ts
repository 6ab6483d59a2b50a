import { readFileSync } from 'node:fs';
import type { Hsm } from '../hsm';
import { connectGateway, type Deadlines, type FabricConnection } from './connection';
import { FabricSetupError } from './errors';
import { loadUser, type LoadedUser } from './identities';
import { orgOf, type NetworkConfig, type PeerConfig } from './network-config';

/** Which peer and deadlines to use for {@link connectUser}. */
export interface ConnectUserOptions {
  /** The org's peer to connect to (default: its first peer). */
  readonly peerName?: string;
  readonly deadlines?: Partial<Deadlines>;
  readonly poolSize?: number;
}

/** A user connected to its organisation's peer. */
export interface UserConnection {
  readonly gateway: FabricConnection['gateway'];
  readonly client: FabricConnection['client'];
  readonly user: LoadedUser;
  readonly peer: PeerConfig;
  /** Closes the gateway, the gRPC channel and the user's token handle. Idempotent. */
  close(): Promise<void>;
}

function choosePeer(config: NetworkConfig, mspId: string, peerName: string | undefined): PeerConfig {
  const peers = orgOf(config, mspId).peers;
  const peer = peerName === undefined ? peers[0] : peers.find((candidate) => candidate.name === peerName);
  if (peer === undefined) {
    throw new FabricSetupError(
      'FABRIC_IDENTITY_UNKNOWN',
      peerName === undefined ? `${mspId} has no peers to connect to` : `${mspId} has no peer ${peerName}`,
    );
  }
  return peer;
}

/**
 * Loads a network.json user (key in the org's client token) and connects it to one of its org's peers.
 * `close()` closes the connection and the user's token handle.
 *
 * @throws FabricSetupError FABRIC_IDENTITY_UNKNOWN, FABRIC_CONFIG_INVALID, FABRIC_IDENTITY_MISMATCH;
 *   HsmError when the token cannot be opened.
 */
export async function connectUser(
  hsm: Hsm,
  config: NetworkConfig,
  mspId: string,
  userName: string,
  options: Readonly<ConnectUserOptions> = {},
): Promise<UserConnection> {
  const peer = choosePeer(config, mspId, options.peerName);
  let tlsRootCertPem: Buffer;
  try {
    tlsRootCertPem = readFileSync(peer.tlsRootCertPath);
  } catch (cause) {
    throw new FabricSetupError('FABRIC_CONFIG_INVALID', `cannot read ${peer.tlsRootCertPath}`, { cause });
  }
  const user = await loadUser(hsm, config, mspId, userName, options);
  try {
    const connection = await connectGateway({
      endpoint: peer.endpoint,
      tlsRootCertPem,
      identity: user.identity,
      token: user.token,
      ...(options.deadlines === undefined ? {} : { deadlines: options.deadlines }),
    });
    return {
      gateway: connection.gateway,
      client: connection.client,
      user,
      peer,
      close: async () => {
        connection.close();
        await user.close();
      },
    };
  } catch (error) {
    await user.close();
    throw error;
  }
}
