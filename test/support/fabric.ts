import type { Contract, Gateway, Network } from '@hyperledger/fabric-gateway';
import { connectUser, loadNetworkConfig, openNetworkHsm, type NetworkConfig } from '../../gateway/src/fabric';

/**
 * Integration-test access to a running network as one of the users network.json names, signing with the
 * user's key in its organisation's SoftHSM token (the gateway's own HSM path, nothing test-only).
 */
export interface TestConnection {
  readonly config: NetworkConfig;
  readonly gateway: Gateway;
  /** The channel (default: network.json's channel). */
  network(channel?: string): Network;
  /** A chaincode by its logical name in network.json (`kyc`, `tickets`), on the default channel. */
  contract(chaincode: string): Contract;
  /** Closes the connection, the token handle and this HSM reference. */
  close(): Promise<void>;
}

/**
 * Connects as `userName` of `mspId` to the first peer of its organisation.
 *
 * @example
 * const officer = await connectAs(networkJson, 'CertifierMSP', 'officer1');
 * try { await officer.contract('kyc').submitTransaction('Certify', ...args); } finally { await officer.close(); }
 */
export async function connectAs(networkJsonPath: string, mspId: string, userName: string): Promise<TestConnection> {
  const config = loadNetworkConfig(networkJsonPath);
  const hsm = await openNetworkHsm(config);
  try {
    const connection = await connectUser(hsm, config, mspId, userName);
    const network = (channel = config.channel): Network => connection.gateway.getNetwork(channel);
    return {
      config,
      gateway: connection.gateway,
      network,
      contract: (chaincode) => network().getContract(config.chaincodes[chaincode] ?? chaincode),
      close: async () => {
        await connection.close();
        await hsm.close();
      },
    };
  } catch (error) {
    await hsm.close();
    throw error;
  }
}
