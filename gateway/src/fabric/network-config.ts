import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { FabricSetupError } from './errors';

/**
 * `network.json`, written by `network.sh up` into `crypto-config/generated/<instance>/`, is how TypeScript finds
 * the network (docs/architecture.md). It is loaded and checked here, once, into a typed, frozen object: every
 * later use can trust its shape. All paths in it are absolute.
 */

export interface HsmLibraryConfig {
  readonly library: string;
  readonly softhsm2Conf: string;
}

export interface OrdererConfig {
  readonly name: string;
  readonly endpoint: string;
  readonly adminEndpoint: string;
  /** https; `/healthz` answers anyone, `/metrics` and `/logspec` need a client certificate of the node's org. */
  readonly operationsUrl: string;
  /** The CA that verifies the operations endpoint's server certificate. */
  readonly operationsTlsRootCertPath: string;
  readonly tlsRootCertPath: string;
  readonly hsmTokenLabel: string;
}

export interface PeerConfig {
  readonly name: string;
  readonly endpoint: string;
  /** https; `/healthz` answers anyone, `/metrics` and `/logspec` need a client certificate of the node's org. */
  readonly operationsUrl: string;
  /** The CA that verifies the operations endpoint's server certificate. */
  readonly operationsTlsRootCertPath: string;
  readonly tlsRootCertPath: string;
  readonly hsmTokenLabel: string;
  readonly mspPath: string;
}

export interface UserConfig {
  readonly mspPath: string;
  readonly certPath: string;
}

export interface OrgConfig {
  readonly name: string;
  readonly mspId: string;
  readonly mspPath: string;
  readonly ca: { readonly url: string; readonly caName: string; readonly tlsCertPath: string };
  /** The org's token for client identities (`<org>-clients`) and the file holding its PIN. */
  readonly hsm: { readonly tokenLabel: string; readonly pinFile: string };
  /** Empty for organisations without peers (the orderer org). */
  readonly peers: readonly PeerConfig[];
  readonly users: Readonly<Record<string, UserConfig>>;
}

/** What an organisation's HTTP service does; it must match its org's role in topology.json. */
export type ServiceKind = 'certifier' | 'bank';

/** One HTTP service instance (topology.json `services`): services/services.sh runs it, clients reach it here. */
export interface ServiceConfig {
  /** Unique; names its data directory, log and pid file (`services/data/<instance>/<name>`). */
  readonly name: string;
  readonly kind: ServiceKind;
  /** The organisation it speaks for. */
  readonly mspId: string;
  /** `http://127.0.0.1:<port>`, the instance's port offset applied: replica 0. */
  readonly url: string;
  /** Its listen port (from `url`); replica i listens on `port + 100·i` ({@link serviceReplicaUrl}). */
  readonly port: number;
}

export interface NetworkConfig {
  readonly instance: string;
  readonly channel: string;
  readonly consensus: string;
  /** Logical chaincode name → deployed name, e.g. `{ kyc: 'kyc', tickets: 'tickets' }`. */
  readonly chaincodes: Readonly<Record<string, string>>;
  readonly hsm: HsmLibraryConfig;
  readonly orderers: readonly OrdererConfig[];
  /** By MSP id. */
  readonly orgs: Readonly<Record<string, OrgConfig>>;
  /** The organisations' HTTP services, in topology order (empty in a network.json older than them). */
  readonly services: readonly ServiceConfig[];
}

type Json = Record<string, unknown>;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ENDPOINT = /^[A-Za-z0-9.-]+:\d{1,5}$/;
const HTTP_URL = /^https?:\/\/[A-Za-z0-9.-]+:\d{1,5}\/?$/;
/** Operations endpoints of peers and orderers run TLS only (their `/logspec` must not be open). */
const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+:\d{1,5}\/?$/;

function fail(path: string, message: string): never {
  throw new FabricSetupError('FABRIC_CONFIG_INVALID', `network.json ${path}: ${message}`, { path });
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail(path, 'must be an object');
  }
  return value as Json;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) {
    fail(path, 'must be an array');
  }
  return value;
}

function text(json: Json, key: string, path: string, pattern?: RegExp): string {
  const value = json[key];
  if (typeof value !== 'string' || value.length === 0) {
    fail(`${path}.${key}`, 'must be a non-empty string');
  }
  if (pattern !== undefined && !pattern.test(value)) {
    fail(`${path}.${key}`, `'${value}' does not match ${pattern.source}`);
  }
  return value;
}

function absolutePath(json: Json, key: string, path: string): string {
  const value = text(json, key, path);
  if (!isAbsolute(value)) {
    fail(`${path}.${key}`, 'must be an absolute path');
  }
  return value;
}

function endpoint(json: Json, key: string, path: string): string {
  const value = text(json, key, path, ENDPOINT);
  const port = Number(value.slice(value.lastIndexOf(':') + 1));
  if (port < 1 || port > 65535) {
    fail(`${path}.${key}`, 'port must be 1..65535');
  }
  return value;
}

function parseOrderer(value: unknown, path: string): OrdererConfig {
  const json = object(value, path);
  return {
    name: text(json, 'name', path, NAME),
    endpoint: endpoint(json, 'endpoint', path),
    adminEndpoint: endpoint(json, 'adminEndpoint', path),
    operationsUrl: text(json, 'operationsUrl', path, HTTPS_URL),
    operationsTlsRootCertPath: absolutePath(json, 'operationsTlsRootCertPath', path),
    tlsRootCertPath: absolutePath(json, 'tlsRootCertPath', path),
    hsmTokenLabel: text(json, 'hsmTokenLabel', path),
  };
}

function parsePeer(value: unknown, path: string): PeerConfig {
  const json = object(value, path);
  return {
    name: text(json, 'name', path, NAME),
    endpoint: endpoint(json, 'endpoint', path),
    operationsUrl: text(json, 'operationsUrl', path, HTTPS_URL),
    operationsTlsRootCertPath: absolutePath(json, 'operationsTlsRootCertPath', path),
    tlsRootCertPath: absolutePath(json, 'tlsRootCertPath', path),
    hsmTokenLabel: text(json, 'hsmTokenLabel', path),
    mspPath: absolutePath(json, 'mspPath', path),
  };
}

function parseUsers(value: unknown, path: string): Record<string, UserConfig> {
  const users: Record<string, UserConfig> = {};
  for (const [name, user] of Object.entries(object(value, path))) {
    const userPath = `${path}.${name}`;
    if (!NAME.test(name)) {
      fail(userPath, 'user names must match ' + NAME.source);
    }
    const json = object(user, userPath);
    users[name] = {
      mspPath: absolutePath(json, 'mspPath', userPath),
      certPath: absolutePath(json, 'certPath', userPath),
    };
  }
  return users;
}

function parseOrg(mspId: string, value: unknown, path: string): OrgConfig {
  const json = object(value, path);
  const ca = object(json.ca, `${path}.ca`);
  const hsm = object(json.hsm, `${path}.hsm`);
  const declared = text(json, 'mspId', path, NAME);
  if (declared !== mspId) {
    fail(`${path}.mspId`, `'${declared}' differs from its key '${mspId}'`);
  }
  return {
    name: text(json, 'name', path, NAME),
    mspId,
    mspPath: absolutePath(json, 'mspPath', path),
    ca: {
      url: text(ca, 'url', `${path}.ca`, HTTP_URL),
      caName: text(ca, 'caName', `${path}.ca`, NAME),
      tlsCertPath: absolutePath(ca, 'tlsCertPath', `${path}.ca`),
    },
    hsm: { tokenLabel: text(hsm, 'tokenLabel', `${path}.hsm`), pinFile: absolutePath(hsm, 'pinFile', `${path}.hsm`) },
    peers:
      json.peers === undefined
        ? []
        : array(json.peers, `${path}.peers`).map((peer, i) => parsePeer(peer, `${path}.peers[${i}]`)),
    users: parseUsers(json.users, `${path}.users`),
  };
}

/** Replica i of a service listens on its port + 100·i (services/services.sh, the same rule). */
export const REPLICA_PORT_STEP = 100;
const SERVICE_NAME = /^[a-z][a-z0-9]*(-[a-z][a-z0-9]*)*$/;
const SERVICE_URL = /^http:\/\/[A-Za-z0-9.-]+:(\d{1,5})$/;

function parseService(value: unknown, path: string, orgs: Readonly<Record<string, OrgConfig>>): ServiceConfig {
  const json = object(value, path);
  const kind = text(json, 'kind', path);
  if (kind !== 'certifier' && kind !== 'bank') {
    fail(`${path}.kind`, `must be certifier or bank, not '${kind}'`);
  }
  const mspId = text(json, 'mspId', path, NAME);
  if (!Object.hasOwn(orgs, mspId)) {
    fail(`${path}.mspId`, `'${mspId}' is not one of .orgs`);
  }
  const url = text(json, 'url', path, SERVICE_URL);
  const port = Number(SERVICE_URL.exec(url)?.[1]);
  if (port < 1 || port > 65535) {
    fail(`${path}.url`, 'port must be 1..65535');
  }
  return { name: text(json, 'name', path, SERVICE_NAME), kind, mspId, url, port };
}

function parseServices(value: unknown, orgs: Readonly<Record<string, OrgConfig>>): ServiceConfig[] {
  if (value === undefined) return [];
  const services = array(value, '.services').map((s, i) => parseService(s, `.services[${i}]`, orgs));
  services.forEach((service, i) => {
    if (services.findIndex((other) => other.name === service.name) !== i) {
      fail(`.services[${i}].name`, `'${service.name}' is listed twice`);
    }
  });
  return services;
}

function parseChaincodes(value: unknown): Record<string, string> {
  const chaincodes: Record<string, string> = {};
  const json = object(value, '.chaincodes');
  for (const key of Object.keys(json)) {
    chaincodes[key] = text(json, key, '.chaincodes', NAME);
  }
  return chaincodes;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) {
      deepFreeze(inner);
    }
    Object.freeze(value);
  }
  return value;
}

/**
 * Checks parsed network.json content and returns it typed and frozen.
 *
 * @throws FabricSetupError FABRIC_CONFIG_INVALID naming the first offending field (`path`).
 */
export function parseNetworkConfig(value: unknown): NetworkConfig {
  const json = object(value, '(root)');
  const hsm = object(json.hsm, '.hsm');
  const orgs: Record<string, OrgConfig> = {};
  for (const [mspId, org] of Object.entries(object(json.orgs, '.orgs'))) {
    orgs[mspId] = parseOrg(mspId, org, `.orgs.${mspId}`);
  }
  return deepFreeze({
    instance: text(json, 'instance', '', NAME),
    channel: text(json, 'channel', '', NAME),
    consensus: text(json, 'consensus', '', NAME),
    chaincodes: parseChaincodes(json.chaincodes),
    hsm: { library: absolutePath(hsm, 'library', '.hsm'), softhsm2Conf: absolutePath(hsm, 'softhsm2Conf', '.hsm') },
    orderers: array(json.orderers, '.orderers').map((orderer, i) => parseOrderer(orderer, `.orderers[${i}]`)),
    orgs,
    services: parseServices(json.services, orgs),
  });
}

/**
 * Reads and checks a network.json file.
 *
 * @throws FabricSetupError FABRIC_CONFIG_INVALID when the file is unreadable, not JSON or malformed.
 */
/**
 * Where an instance's network.json is: `KYC_NETWORK_CONFIG`, else `crypto-config/generated/<KYC_INSTANCE or
 * main>/network.json` in this checkout (found from the built module, dist/gateway/src/fabric).
 */
export function networkConfigPath(env: Readonly<Record<string, string | undefined>> = process.env): string {
  return (
    env.KYC_NETWORK_CONFIG ??
    resolve(__dirname, '../../../..', 'crypto-config/generated', env.KYC_INSTANCE ?? 'main', 'network.json')
  );
}

export function loadNetworkConfig(path: string): NetworkConfig {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new FabricSetupError('FABRIC_CONFIG_INVALID', `cannot read ${path} (is the network up?)`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (cause) {
    throw new FabricSetupError('FABRIC_CONFIG_INVALID', `${path} is not JSON`, { cause });
  }
  return parseNetworkConfig(value);
}

/**
 * The organisation with this MSP id.
 *
 * @throws FabricSetupError FABRIC_IDENTITY_UNKNOWN when network.json has no such organisation.
 */
export function orgOf(config: NetworkConfig, mspId: string): OrgConfig {
  const org = Object.hasOwn(config.orgs, mspId) ? config.orgs[mspId] : undefined;
  if (org === undefined) {
    throw new FabricSetupError(
      'FABRIC_IDENTITY_UNKNOWN',
      `no organisation ${mspId} in network.json (known: ${Object.keys(config.orgs).join(', ')})`,
    );
  }
  return org;
}

/**
 * The HTTP service called `name` (topology.json `services`), e.g. `serviceOf(config, 'bank').url`.
 *
 * @throws FabricSetupError FABRIC_CONFIG_INVALID when network.json lists no such service.
 */
export function serviceOf(config: NetworkConfig, name: string): ServiceConfig {
  const service = config.services.find((s) => s.name === name);
  if (service === undefined) {
    const known = config.services.map((s) => s.name).join(', ') || 'none: run network/network.sh up to rewrite it';
    throw new FabricSetupError('FABRIC_CONFIG_INVALID', `no service '${name}' in network.json (known: ${known})`);
  }
  return service;
}

/** The URL of replica `replica` of a service (replica 0: its `url`). */
export function serviceReplicaUrl(service: ServiceConfig, replica: number): string {
  return service.url.replace(/:\d+$/, `:${String(service.port + REPLICA_PORT_STEP * replica)}`);
}
