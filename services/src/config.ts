import { resolve } from 'node:path';
import { KycError, LEVELS, MSP_ID, type AssuranceLevel } from '../../protocol/src';
import {
  loadNetworkConfig,
  networkConfigPath,
  serviceOf,
  type NetworkConfig,
  type ServiceConfig,
  type ServiceKind,
} from '../../gateway/src/fabric/network-config';

/**
 * Every environment variable the services read, typed and defaulted in one place (docs/services.md lists
 * them). Defaults run the local network from a fresh clone with no configuration at all: the service's port
 * and organisation come from its entry in network.json (`services`, from crypto-config/topology.json).
 */

const REPO_ROOT = resolve(__dirname, '../../..');

export interface CommonConfig {
  /** Network instance name (`KYC_INSTANCE`); selects network.json and the data directory. */
  readonly instance: string;
  /** The service instance (`KYC_SERVICE`, default the kind: `certifier` / `bank`), its entry in network.json. */
  readonly service: string;
  /** Path of network.json (`KYC_NETWORK_CONFIG`). */
  readonly networkConfigPath: string;
  /** Interface to listen on (`KYC_HOST`, default 127.0.0.1). */
  readonly host: string;
  /** Listen port (`KYC_PORT`; default the service's port in network.json). */
  readonly port: number;
  /** Base URL wallets use to reach this service (`KYC_PUBLIC_URL`). */
  readonly publicUrl: string;
  /** Where the service keeps its state: identities (certificates, never keys), officers, registrations. */
  readonly dataDir: string;
  /** Admin bearer token (`KYC_ADMIN_TOKEN`); when unset, one is generated into `<dataDir>/admin-token`. */
  readonly adminToken: string | undefined;
  readonly logLevel: string;
  /** Largest accepted request body in bytes (`KYC_BODY_LIMIT`, default 64 KiB). */
  readonly bodyLimit: number;
  /** Requests per minute per client address on public endpoints (`KYC_RATE_LIMIT`, default 120). */
  readonly rateLimitPerMinute: number;
  /** The organisation this service speaks for (`KYC_ORG_MSP`; default the service's in network.json). */
  readonly mspId: string;
  /** The state store (docs/storage.md). */
  readonly store: StoreConfig;
}

export interface StoreConfig {
  /** PostgreSQL URL (`KYC_DB_URL`); unset: SQLite in `<dataDir>/state.sqlite`. */
  readonly databaseUrl: string | undefined;
  /** PIN file of the token holding the store's key (`KYC_STORE_PIN_FILE`; default the org's from network.json). */
  readonly pinFile: string | undefined;
  /** Benchmarks only (`KYC_BENCH_PLAINTEXT_STORE=1`): personal fields unencrypted. Never in production. */
  readonly plaintext: boolean;
  /** How often expiry and retention sweeps run (`KYC_SWEEP_SECONDS`, default 30). */
  readonly sweepSeconds: number;
}

export interface CertifierConfig extends CommonConfig {
  /** Validity of a new attestation in days (`KYC_VALIDITY_DAYS`, default 365). */
  readonly validityDays: number;
  /** Random decoy digests added to each commitment (`KYC_DECOY_DIGESTS`, default 2), hiding the claim count. */
  readonly decoyDigests: number;
  /** Lifetime of a certification nonce in seconds (`KYC_NONCE_TTL_SECONDS`, default 600). */
  readonly nonceTtlSeconds: number;
  /** Limits on the state anonymous callers can make the certifier hold (docs/services.md). */
  readonly limits: CertifierLimits;
  /**
   * The passive-authentication trust list (`KYC_CSCA_DIR`, default `<dataDir>/csca`): CSCA certificates
   * (`*.der`, `*.pem`, `*.crt`) and their CRLs (`*.crl`), read at every chip check so an operator adds a
   * state's CSCA without a restart.
   */
  readonly cscaDir: string;
  /** Evidence submissions waiting for the intake engine at most (`KYC_MAX_QUEUED_EVIDENCE`, default 4). */
  readonly maxQueuedEvidence: number;
}

export interface CertifierLimits {
  /** A pending certification is dropped (with its claims) this long after submission (`KYC_PENDING_TTL_SECONDS`, default 7 days), or when its request expires, whichever is first. */
  readonly pendingTtlSeconds: number;
  /** Pending certifications one person (key) may have at once (`KYC_MAX_PENDING_PER_PERSON`, default 3). */
  readonly maxPendingPerPerson: number;
  /** Pending certifications in all (`KYC_MAX_PENDING_CERTIFICATIONS`, default 1000). */
  readonly maxPending: number;
  /** Unused, unexpired nonces in all (`KYC_MAX_NONCES`, default 10000); also caps remembered collection requests. */
  readonly maxNonces: number;
  /** Unused, unexpired nonces per client address (`KYC_MAX_NONCES_PER_CLIENT`, default 10). */
  readonly maxNoncesPerClient: number;
  /** Approved disclosures wait this long to be collected, then are deleted (`KYC_DISCLOSURE_RETENTION_SECONDS`, default 7 days). */
  readonly disclosureRetentionSeconds: number;
}

export interface BankConfig extends CommonConfig {
  /** Certifier MSP ids this bank trusts (`KYC_TRUSTED_CERTIFIERS`, comma-separated; default those of every certifier service in network.json). */
  readonly trustedCertifiers: readonly string[];
  /** Minimum assurance level accepted (`KYC_MIN_LEVEL`, default 2). */
  readonly minLevel: AssuranceLevel;
  /** Lifetime of a registration QR in seconds (`KYC_REGISTRATION_TTL_SECONDS`, default 600). */
  readonly registrationTtlSeconds: number;
  /** Open (unused, unexpired) registrations in all (`KYC_MAX_OPEN_REGISTRATIONS`, default 1000). */
  readonly maxOpenRegistrations: number;
  /** Open registrations per officer (`KYC_MAX_OPEN_REGISTRATIONS_PER_OFFICER`, default 50). */
  readonly maxOpenRegistrationsPerOfficer: number;
  /** Verified claims are kept this long, then dropped (`KYC_VERIFIED_RETENTION_DAYS`, default 30). */
  readonly verifiedRetentionDays: number;
  /** A presentation `verifying` longer than this is completed by the sweep (`KYC_VERIFYING_TIMEOUT_SECONDS`, default 120). */
  readonly verifyingTimeoutSeconds: number;
}

type Env = Readonly<Record<string, string | undefined>>;

function invalid(name: string, why: string): never {
  throw new KycError('KYC_INVALID_ARGUMENT', `configuration ${name}: ${why}`);
}

function intFrom(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    invalid(name, `must be an integer from ${min} to ${max}`);
  }
  return value;
}

function mspFrom(env: Env, name: string, fallback: string): string {
  const value = env[name] ?? fallback;
  if (!MSP_ID.test(value)) {
    invalid(name, 'must be an MSP id');
  }
  return value;
}

/** This service's entry in network.json: `KYC_SERVICE`, by default the one named after the kind. */
function serviceEntry(env: Env, network: NetworkConfig, kind: ServiceKind): ServiceConfig {
  const name = env.KYC_SERVICE ?? kind;
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(name)) invalid('KYC_SERVICE', 'must be a service name from network.json');
  const service = serviceOf(network, name);
  if (service.kind !== kind) invalid('KYC_SERVICE', `'${name}' is a ${service.kind} service, not a ${kind} service`);
  return service;
}

interface Loaded {
  readonly env: Env;
  readonly network: NetworkConfig;
  readonly networkConfigPath: string;
  readonly instance: string;
}

function loadNetwork(env: Env): Loaded {
  const instance = env.KYC_INSTANCE ?? 'main';
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(instance)) {
    invalid('KYC_INSTANCE', 'must be lower-case letters, digits and dashes');
  }
  const path = networkConfigPath(env);
  return { env, network: loadNetworkConfig(path), networkConfigPath: path, instance };
}

/** network.json's address of the service (its host's name in the namespaced topology) at the port it listens on. */
function listenedUrl(serviceUrl: string, port: number): string {
  const url = new URL(serviceUrl);
  url.port = String(port);
  return url.origin;
}

function commonConfig(loaded: Loaded, kind: ServiceKind): CommonConfig {
  const { env, instance } = loaded;
  const service = serviceEntry(env, loaded.network, kind);
  const port = intFrom(env, 'KYC_PORT', service.port, 0, 65535);
  const host = env.KYC_HOST ?? '127.0.0.1';
  return {
    instance,
    service: service.name,
    networkConfigPath: loaded.networkConfigPath,
    host,
    port,
    publicUrl: (env.KYC_PUBLIC_URL ?? listenedUrl(service.url, port)).replace(/\/+$/, ''),
    dataDir: env.KYC_DATA_DIR ?? resolve(REPO_ROOT, 'services/data', instance, service.name),
    adminToken: env.KYC_ADMIN_TOKEN === '' ? undefined : env.KYC_ADMIN_TOKEN,
    logLevel: env.KYC_LOG_LEVEL ?? 'info',
    bodyLimit: intFrom(env, 'KYC_BODY_LIMIT', 64 * 1024, 1024, 1024 * 1024),
    rateLimitPerMinute: intFrom(env, 'KYC_RATE_LIMIT', 120, 1, 1_000_000),
    mspId: mspFrom(env, 'KYC_ORG_MSP', service.mspId),
    store: storeConfig(env),
  };
}

function storeConfig(env: Env): StoreConfig {
  const url = env.KYC_DB_URL === '' ? undefined : env.KYC_DB_URL;
  if (url !== undefined && !/^postgres(ql)?:\/\//.test(url)) invalid('KYC_DB_URL', 'must be a postgres:// URL');
  return {
    databaseUrl: url,
    pinFile: env.KYC_STORE_PIN_FILE === '' ? undefined : env.KYC_STORE_PIN_FILE,
    plaintext: env.KYC_BENCH_PLAINTEXT_STORE === '1',
    sweepSeconds: intFrom(env, 'KYC_SWEEP_SECONDS', 30, 1, 3600),
  };
}

/**
 * Reads the certifier service's configuration.
 *
 * @throws KycError KYC_INVALID_ARGUMENT on a bad value; FabricSetupError FABRIC_CONFIG_INVALID when network.json
 * cannot be read or lists no such service.
 */
export function certifierConfig(env: Env = process.env): CertifierConfig {
  const common = commonConfig(loadNetwork(env), 'certifier');
  return {
    ...common,
    cscaDir: env.KYC_CSCA_DIR ?? resolve(common.dataDir, 'csca'),
    maxQueuedEvidence: intFrom(env, 'KYC_MAX_QUEUED_EVIDENCE', 4, 1, 1000),
    validityDays: intFrom(env, 'KYC_VALIDITY_DAYS', 365, 1, 3650),
    decoyDigests: intFrom(env, 'KYC_DECOY_DIGESTS', 2, 0, 16),
    nonceTtlSeconds: intFrom(env, 'KYC_NONCE_TTL_SECONDS', 600, 30, 3600),
    limits: certifierLimits(env),
  };
}

const WEEK_SECONDS = 7 * 24 * 3600;

function certifierLimits(env: Env): CertifierLimits {
  return {
    pendingTtlSeconds: intFrom(env, 'KYC_PENDING_TTL_SECONDS', WEEK_SECONDS, 60, 30 * 24 * 3600),
    maxPendingPerPerson: intFrom(env, 'KYC_MAX_PENDING_PER_PERSON', 3, 1, 100),
    maxPending: intFrom(env, 'KYC_MAX_PENDING_CERTIFICATIONS', 1000, 1, 1_000_000),
    maxNonces: intFrom(env, 'KYC_MAX_NONCES', 10_000, 1, 1_000_000),
    maxNoncesPerClient: intFrom(env, 'KYC_MAX_NONCES_PER_CLIENT', 10, 1, 10_000),
    disclosureRetentionSeconds: intFrom(env, 'KYC_DISCLOSURE_RETENTION_SECONDS', WEEK_SECONDS, 60, 30 * 24 * 3600),
  };
}

/**
 * Reads the bank service's configuration.
 *
 * @throws KycError KYC_INVALID_ARGUMENT on a bad value; FabricSetupError FABRIC_CONFIG_INVALID when network.json
 * cannot be read or lists no such service.
 */
export function bankConfig(env: Env = process.env): BankConfig {
  const loaded = loadNetwork(env);
  const common = commonConfig(loaded, 'bank');
  const certifiers = loaded.network.services.filter((s) => s.kind === 'certifier').map((s) => s.mspId);
  const trusted = (env.KYC_TRUSTED_CERTIFIERS ?? [...new Set(certifiers)].join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (trusted.length === 0 || !trusted.every((s) => MSP_ID.test(s))) {
    invalid('KYC_TRUSTED_CERTIFIERS', 'must be a comma-separated list of MSP ids');
  }
  const minLevel = intFrom(env, 'KYC_MIN_LEVEL', 2, 1, 3);
  return {
    ...common,
    trustedCertifiers: trusted,
    minLevel: LEVELS.find((l) => l === minLevel) ?? 2,
    registrationTtlSeconds: intFrom(env, 'KYC_REGISTRATION_TTL_SECONDS', 600, 30, 3600),
    maxOpenRegistrations: intFrom(env, 'KYC_MAX_OPEN_REGISTRATIONS', 1000, 1, 1_000_000),
    maxOpenRegistrationsPerOfficer: intFrom(env, 'KYC_MAX_OPEN_REGISTRATIONS_PER_OFFICER', 50, 1, 100_000),
    verifiedRetentionDays: intFrom(env, 'KYC_VERIFIED_RETENTION_DAYS', 30, 1, 3650),
    verifyingTimeoutSeconds: intFrom(env, 'KYC_VERIFYING_TIMEOUT_SECONDS', 120, 10, 3600),
  };
}

/** The kind of the service instance `name` in network.json (`./kyc rotate-key <name>`). */
export function serviceKindOf(name: string, env: Env = process.env): ServiceKind {
  return serviceOf(loadNetwork(env).network, name).kind;
}
