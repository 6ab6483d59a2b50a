import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectivityState, type Client } from '@grpc/grpc-js';
import { connect, type Gateway } from '@hyperledger/fabric-gateway';
import { KycError, ROLE_ATTRIBUTE, type Es256Signer } from '../../../protocol/src';
import {
  registerAndEnroll,
  openIdentityStore,
  type IdentityStore,
  type StoredIdentity,
} from '../../../gateway/src/enrollment';
import {
  gatewayConnectOptions,
  loadNetworkConfig,
  newGrpcClient,
  openNetworkHsm,
  orgOf,
  readPinFile,
  userIdentity,
  type NetworkConfig,
  type OrgConfig,
} from '../../../gateway/src/fabric';
import type { Hsm, HsmToken } from '../../../gateway/src/hsm';
import { toKycError } from '../../../gateway/src/errors';
import {
  contractInvoker,
  kycLedgerFrom,
  type KycLedger,
  type LedgerInvoker,
} from '../../../gateway/src/ledger/kyc-ledger';
import type { KycStore } from '../../../store/src';
import type { StoreConfig } from '../config';
import { ResilientStore } from './resilient-store';
import { storeOpenOptions } from './store-options';
import type { Role } from '../../../protocol/src';
import { failoverInvoker } from '../../../gateway/src/ledger/failover';

/**
 * Everything a service needs to act for its organisation: network.json, the org's HSM client token, gRPC
 * channels to the org's peers, a ledger client per officer (each signing with the officer's own HSM key),
 * and enrollment of new officers through the org's registrar, whose key is in the same token; and the
 * state store (docs/storage.md), whose personal fields are encrypted under a KEK in that same token.
 */

export interface OrgRuntimeOptions {
  readonly networkConfigPath: string;
  readonly mspId: string;
  /** Where the enrollment identity store lives (certificates and SKIs, never keys). */
  readonly dataDir: string;
  /** Observes ledger call durations (metrics). */
  readonly observe?: (operation: string, seconds: number) => void;
  /** The state store: PostgreSQL or SQLite in `dataDir`, the KEK in the org's token. */
  readonly store: StoreConfig;
  /** Runs once when the store first opens (importing old JSON state). */
  readonly onStoreOpen?: (store: KycStore) => Promise<void>;
}

export interface OrgRuntime {
  readonly network: NetworkConfig;
  readonly org: OrgConfig;
  readonly token: HsmToken;
  readonly identities: IdentityStore;
  /** The service's state store: open, or answering every call with why it cannot be used. */
  readonly store: ResilientStore;
  /** The ledger as this officer (cached). @throws KycError KYC_NOT_FOUND for an unknown officer. */
  ledgerFor(enrollmentId: string): KycLedger;
  /** The officer's ES256 signer (HSM) and certificate, for signed objects such as registration QR codes. */
  signerFor(enrollmentId: string): { readonly sign: Es256Signer; readonly certificateChainPem: readonly string[] };
  /** Registers and enrolls a client identity with `kyc.role=<role>`, its key generated in the org's token. */
  enroll(enrollmentId: string, role: Role): Promise<StoredIdentity>;
  /** Whether a peer channel is usable, the token answers and the store works (else why not). */
  health(): Promise<Record<string, boolean | string>>;
  close(): Promise<void>;
}

/**
 * Opens the runtime: loads network.json, opens the HSM and the org's client token, and one gRPC channel per
 * org peer. Ledger calls go to the first peer and fail over to the next when a peer is unreachable.
 *
 * @throws KycError (KYC_INTERNAL / KYC_UNAVAILABLE) when the configuration, HSM or token cannot be opened.
 */
export async function openOrgRuntime(options: OrgRuntimeOptions): Promise<OrgRuntime> {
  let hsm: Hsm | undefined;
  try {
    const network = loadNetworkConfig(options.networkConfigPath);
    const org = orgOf(network, options.mspId);
    hsm = await openNetworkHsm(network);
    const token = await hsm.openToken({ label: org.hsm.tokenLabel, pin: readPinFile(org.hsm.pinFile), poolSize: 8 });
    const store = new ResilientStore({
      options: () => storeOpenOptions(options.store, options.dataDir, org, hsm as Hsm),
      ...(options.onStoreOpen ? { onOpen: options.onStoreOpen } : {}),
    });
    // The first open runs now, but a store that cannot open yet does not stop the service: it reports why.
    await store.ready().catch(() => undefined);
    return new Runtime(network, org, hsm, token, store, options);
  } catch (err) {
    await hsm?.close();
    throw toKycError(err);
  }
}

class Runtime implements OrgRuntime {
  readonly identities: IdentityStore;
  readonly #hsm: Hsm;
  readonly #clients: Client[];
  readonly #gateways: Gateway[] = [];
  /** Per officer: the failover client over all peers. */
  readonly #ledgers = new Map<string, KycLedger>();
  /** Per peer and officer: the client through that peer. */
  readonly #peerInvokers = new Map<string, LedgerInvoker>();
  readonly #options: OrgRuntimeOptions;
  #current = 0;

  constructor(
    readonly network: NetworkConfig,
    readonly org: OrgConfig,
    hsm: Hsm,
    readonly token: HsmToken,
    readonly store: ResilientStore,
    options: OrgRuntimeOptions,
  ) {
    this.#hsm = hsm;
    this.#options = options;
    this.identities = openIdentityStore(join(options.dataDir, 'identities'));
    this.#clients = org.peers.map((peer) => newGrpcClient(peer.endpoint, readFileSync(peer.tlsRootCertPath)));
  }

  #identity(enrollmentId: string): StoredIdentity {
    const identity = this.identities.get(this.org.mspId, enrollmentId);
    if (identity === undefined) {
      throw new KycError('KYC_NOT_FOUND', `no enrolled identity '${enrollmentId}' in ${this.org.mspId}`);
    }
    return identity;
  }

  ledgerFor(enrollmentId: string): KycLedger {
    let ledger = this.#ledgers.get(enrollmentId);
    if (ledger === undefined) {
      this.#identity(enrollmentId);
      const cursor = {
        peers: this.#clients.length,
        current: () => this.#current,
        moveTo: (next: number) => {
          this.#current = next;
        },
      };
      ledger = kycLedgerFrom(failoverInvoker(cursor, (peerIndex) => this.#invokerAt(enrollmentId, peerIndex)));
      this.#ledgers.set(enrollmentId, ledger);
    }
    return ledger;
  }

  /** The officer's ledger invoker through one peer, made once: one Gateway per officer and peer. */
  #invokerAt(enrollmentId: string, peerIndex: number): LedgerInvoker {
    const key = `${String(peerIndex)}/${enrollmentId}`;
    let invoker = this.#peerInvokers.get(key);
    if (invoker === undefined) {
      const client = this.#clients[peerIndex];
      if (client === undefined)
        throw new KycError('KYC_INTERNAL', `${this.org.mspId} has no peer ${String(peerIndex)}`);
      const gateway = connect(gatewayConnectOptions(client, this.#identity(enrollmentId), this.token));
      this.#gateways.push(gateway);
      const contract = gateway.getNetwork(this.network.channel).getContract(this.network.chaincodes.kyc ?? 'kyc');
      invoker = contractInvoker({
        contract,
        gateway,
        channel: this.network.channel,
        mspId: this.org.mspId,
        ...(this.#options.observe ? { observe: this.#options.observe } : {}),
      });
      this.#peerInvokers.set(key, invoker);
    }
    return invoker;
  }

  signerFor(enrollmentId: string): { readonly sign: Es256Signer; readonly certificateChainPem: readonly string[] } {
    const identity = this.#identity(enrollmentId);
    return { sign: this.token.es256(identity.ski), certificateChainPem: [identity.certificatePem] };
  }

  async enroll(enrollmentId: string, role: Role): Promise<StoredIdentity> {
    try {
      const registrar = { identity: userIdentity(this.network, this.org.mspId, 'registrar'), token: this.token };
      return await registerAndEnroll({
        caUrl: this.org.ca.url,
        caName: this.org.ca.caName,
        tlsCertPem: readFileSync(this.org.ca.tlsCertPath, 'utf8'),
        registrar,
        enrollmentId,
        type: 'client',
        attrs: [{ name: ROLE_ATTRIBUTE, value: role, ecert: true }],
        token: this.token,
        store: this.identities,
      });
    } catch (err) {
      throw toKycError(err);
    }
  }

  async health(): Promise<Record<string, boolean | string>> {
    const usable = this.#clients.some((client) => {
      const state = client.getChannel().getConnectivityState(true);
      return state !== connectivityState.TRANSIENT_FAILURE && state !== connectivityState.SHUTDOWN;
    });
    const hsm = await this.token.listKeys().then(
      () => true,
      () => false,
    );
    const store = await this.store.health();
    return {
      ledger: usable,
      hsm,
      store: store.ok,
      ...(store.reason === undefined ? {} : { storeError: store.reason }),
    };
  }

  async close(): Promise<void> {
    for (const gateway of this.#gateways) gateway.close();
    for (const client of this.#clients) client.close();
    await this.store.close();
    await this.token.close();
    await this.#hsm.close();
  }
}
