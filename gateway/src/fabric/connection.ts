import * as grpc from '@grpc/grpc-js';
import { connect, type ConnectOptions, type Gateway } from '@hyperledger/fabric-gateway';
import type { HsmToken } from '../hsm';
import { assertKeyMatches, gatewayIdentity, type HsmIdentity } from './identity';

/**
 * A gRPC connection to one peer's gateway service, signing with an HSM key. fabric-gateway's signer is an
 * async function of the digest, so the project's own HSM module plugs in directly (fabric-gateway's HSM
 * signer factory is not used: it initialises PKCS#11 itself and fails under concurrency).
 */

/** Per-call deadlines in milliseconds, applied afresh to each call. */
export interface Deadlines {
  readonly evaluateMs: number;
  readonly endorseMs: number;
  readonly submitMs: number;
  readonly commitStatusMs: number;
}

export const DEFAULT_DEADLINES: Deadlines = Object.freeze({
  evaluateMs: 5_000,
  endorseMs: 15_000,
  submitMs: 5_000,
  commitStatusMs: 60_000,
});

/** Where and as whom to connect. */
export interface ConnectionOptions {
  /** The peer's gateway endpoint, `host:port` (127.0.0.1 here). */
  readonly endpoint: string;
  /** PEM of the CA that issued the peer's TLS certificate. */
  readonly tlsRootCertPem: string | Buffer;
  /** Expected name in the peer's TLS certificate, when it is not the endpoint's host. */
  readonly tlsServerName?: string;
  readonly identity: HsmIdentity;
  /** The open token holding the identity's key. Stays open: the caller owns it. */
  readonly token: HsmToken;
  readonly deadlines?: Partial<Deadlines>;
}

/** A live gateway connection. */
export interface FabricConnection {
  readonly gateway: Gateway;
  readonly client: grpc.Client;
  /** Closes the gateway and the gRPC channel. Idempotent. */
  close(): void;
}

/** A gRPC client over TLS to `endpoint`, trusting only `tlsRootCertPem`. */
export function newGrpcClient(endpoint: string, tlsRootCertPem: string | Buffer, tlsServerName?: string): grpc.Client {
  const credentials = grpc.credentials.createSsl(Buffer.from(tlsRootCertPem));
  // TLS server names may not be IP addresses (RFC 6066; Node warns DEP0123): loopback peers are verified as
  // `localhost`, which every node certificate of the local network names.
  const serverName = tlsServerName ?? (endpoint.startsWith('127.0.0.1:') ? 'localhost' : undefined);
  const options: grpc.ChannelOptions = serverName === undefined ? {} : { 'grpc.ssl_target_name_override': serverName };
  return new grpc.Client(endpoint, credentials, options);
}

function deadline(ms: number): () => grpc.CallOptions {
  return () => ({ deadline: Date.now() + ms });
}

/**
 * fabric-gateway connect options for an HSM identity over an existing gRPC client: the identity, the token's
 * Fabric signer and per-call deadlines. Several identities may share one client (one channel per peer).
 */
export function gatewayConnectOptions(
  client: grpc.Client,
  identity: HsmIdentity,
  token: HsmToken,
  deadlines: Partial<Deadlines> = {},
): ConnectOptions {
  const ms = { ...DEFAULT_DEADLINES, ...deadlines };
  return {
    client,
    identity: gatewayIdentity(identity),
    signer: token.fabricSigner(identity.ski),
    evaluateOptions: deadline(ms.evaluateMs),
    endorseOptions: deadline(ms.endorseMs),
    submitOptions: deadline(ms.submitMs),
    commitStatusOptions: deadline(ms.commitStatusMs),
  };
}

/**
 * Connects a fabric-gateway Gateway as an HSM identity, after checking that the token holds the
 * certificate's key.
 *
 * @example
 * const connection = await connectGateway({ endpoint: '127.0.0.1:7051', tlsRootCertPem, identity, token });
 * try { await connection.gateway.getNetwork('kyc').getContract('kyc').evaluateTransaction('Ping'); }
 * finally { connection.close(); }
 * @throws FabricSetupError FABRIC_IDENTITY_MISMATCH when the token lacks the key; HsmError from the token.
 */
export async function connectGateway(options: Readonly<ConnectionOptions>): Promise<FabricConnection> {
  await assertKeyMatches(options.identity, options.token);
  const client = newGrpcClient(options.endpoint, options.tlsRootCertPem, options.tlsServerName);
  const gateway = connect(gatewayConnectOptions(client, options.identity, options.token, options.deadlines));
  let closed = false;
  return {
    gateway,
    client,
    close: () => {
      if (!closed) {
        closed = true;
        gateway.close();
        client.close();
      }
    },
  };
}
