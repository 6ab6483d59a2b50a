/**
 * Fabric connections for the gateways: network.json loading, HSM identities, a fabric-gateway connection whose
 * signer is the project's HSM module, and a bounded retry for a network that is still converging.
 */
export { FABRIC_ERROR_CODES, FabricSetupError } from './errors';
export type { FabricErrorCode } from './errors';
export {
  REPLICA_PORT_STEP,
  loadNetworkConfig,
  networkConfigPath,
  orgOf,
  parseNetworkConfig,
  serviceOf,
  serviceReplicaUrl,
} from './network-config';
export type {
  HsmLibraryConfig,
  NetworkConfig,
  OrdererConfig,
  OrgConfig,
  PeerConfig,
  ServiceConfig,
  ServiceKind,
  UserConfig,
} from './network-config';
export { assertKeyMatches, gatewayIdentity, hsmIdentityOf } from './identity';
export type { HsmIdentity } from './identity';
export { DEFAULT_DEADLINES, connectGateway, gatewayConnectOptions, newGrpcClient } from './connection';
export type { ConnectionOptions, Deadlines, FabricConnection } from './connection';
export { loadUser, openNetworkHsm, readPinFile, userIdentity } from './identities';
export type { LoadUserOptions, LoadedUser } from './identities';
export { connectUser } from './connect-user';
export type { ConnectUserOptions, UserConnection } from './connect-user';
export { isConvergenceError, retryWhileConverging } from './retry';
export type { RetryOptions } from './retry';
