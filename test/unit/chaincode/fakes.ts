import assert from 'node:assert/strict';
import { ChaincodeStub, ClientIdentity as ShimClientIdentity } from 'fabric-shim';
import type { Context } from 'fabric-contract-api';
import type { ChaincodeResponse, ClientIdentity, Iterators } from 'fabric-shim-api';
import { KycError, isErrorCode } from '../../../protocol/src';
import type { ErrorCode, FoundingMember } from '../../../protocol/src';
import { issueCertificate } from './certificates';

/**
 * The one fake of Fabric's chaincode-facing API for the chaincode unit tests: an in-memory ledger with public
 * state, per-collection private data, key-level validation parameters, history, events and purges, and a
 * per-transaction stub and client identity over it.
 *
 * Semantics kept from Fabric because the chaincode relies on them:
 * - reads see committed state only (a transaction does not read its own writes);
 * - a transaction's writes are recorded in order and committed only when it succeeds (`ledger.submit`);
 * - composite keys are built by fabric-shim's own `createCompositeKey`, range reads return key order;
 * - history is returned newest first;
 * - a peer can read only its own organisation's implicit collection.
 */

/** Who calls: what the caller's enrollment certificate says. */
export interface Caller {
  readonly mspId: string;
  /** `getID()`: `x509::<subject>::<issuer>`. */
  readonly id: string;
  /** fabric-ca ecert attributes, e.g. `{ 'kyc.role': 'certifier' }`. */
  readonly attributes: Readonly<Record<string, string>>;
  /**
   * The NodeOU of a caller whose `getIDBytes()` must be a real certificate (issued by the test CA with this
   * OU, e.g. `admin` for an organisation admin); without it, the fake PEM is not a certificate at all.
   */
  readonly ou?: 'client' | 'admin';
}

function caller(mspId: string, name: string, attributes: Record<string, string> = {}): Caller {
  return { mspId, id: `x509::/CN=${name}::/CN=ca.${mspId.toLowerCase()}`, attributes };
}

/** An organisation admin: a real certificate with `OU=admin`, as fabric-ca issues to identities of type admin. */
function admin(mspId: string, name: string): Caller {
  return { ...caller(mspId, name), ou: 'admin' };
}

export const CERTIFIER_MSP = 'CertifierMSP';
export const OTHER_CERTIFIER_MSP = 'OtherCertifierMSP';
export const BANK_MSP = 'BankMSP';
export const OTHER_BANK_MSP = 'OtherBankMSP';
export const OUTSIDER_MSP = 'OutsiderMSP';

/** The callers the tests use, named by what they may do. */
export const CALLERS = {
  certifierOfficer: caller(CERTIFIER_MSP, 'officer1', { 'kyc.role': 'certifier' }),
  otherCertifierOfficer: caller(OTHER_CERTIFIER_MSP, 'officer2', { 'kyc.role': 'certifier' }),
  /** Member of a certifier org without the role attribute. */
  certifierClerk: caller(CERTIFIER_MSP, 'clerk1'),
  /** Member of a certifier org whose role attribute is the bank's. */
  certifierWithBankRole: caller(CERTIFIER_MSP, 'mixed1', { 'kyc.role': 'bank-verifier' }),
  bankVerifier: caller(BANK_MSP, 'verifier1', { 'kyc.role': 'bank-verifier' }),
  otherBankVerifier: caller(OTHER_BANK_MSP, 'verifier2', { 'kyc.role': 'bank-verifier' }),
  /** Member of a bank org without the role attribute. */
  bankClerk: caller(BANK_MSP, 'teller1'),
  /** Member of a bank org claiming the certifier role: its org is no certifier. */
  bankWithCertifierRole: caller(BANK_MSP, 'rogue1', { 'kyc.role': 'certifier' }),
  /** An organisation with no role at all. */
  outsider: caller(OUTSIDER_MSP, 'someone', { 'kyc.role': 'certifier' }),
  certifierAdmin: admin(CERTIFIER_MSP, 'certifier-admin'),
  otherCertifierAdmin: admin(OTHER_CERTIFIER_MSP, 'other-certifier-admin'),
  bankAdmin: admin(BANK_MSP, 'bank-admin'),
  otherBankAdmin: admin(OTHER_BANK_MSP, 'other-bank-admin'),
  outsiderAdmin: admin(OUTSIDER_MSP, 'outsider-admin'),
  /** A certifier org's client with a real certificate (OU=client): no admin. */
  certifierClient: { ...caller(CERTIFIER_MSP, 'client1'), ou: 'client' },
} as const;

/** The founding members of the test consortium, as FoundConsortium takes them. */
export const TEST_MEMBERS: readonly FoundingMember[] = [
  { msp: CERTIFIER_MSP, role: 'certifier' },
  { msp: OTHER_CERTIFIER_MSP, role: 'certifier' },
  { msp: BANK_MSP, role: 'bank' },
  { msp: OTHER_BANK_MSP, role: 'bank' },
];

/** Real certificates of the callers that need one, issued once per process. */
const certificates = new Map<string, string>();

/** The PEM `getIDBytes()` returns for `caller`: a real certificate when it has an OU, a fake one otherwise. */
export function certificateOf(who: Caller): string {
  if (who.ou === undefined) {
    return `-----BEGIN CERTIFICATE-----\n${who.id}\n-----END CERTIFICATE-----\n`;
  }
  let pem = certificates.get(who.id);
  if (pem === undefined) {
    const name = /CN=([^:]+)::/.exec(who.id)?.[1] ?? 'someone';
    pem = issueCertificate(name, who.attributes, who.ou);
    certificates.set(who.id, pem);
  }
  return pem;
}

class FakeClientIdentity implements ClientIdentity {
  constructor(readonly caller: Caller) {}

  assertAttributeValue(attrName: string, attrValue: string): boolean {
    return this.caller.attributes[attrName] === attrValue;
  }

  getAttributeValue(attrName: string): string | null {
    return this.caller.attributes[attrName] ?? null;
  }

  getID(): string {
    return this.caller.id;
  }

  getIDBytes(): Uint8Array {
    return Buffer.from(certificateOf(this.caller));
  }

  getMSPID(): string {
    return this.caller.mspId;
  }
}

/** One recorded write of a transaction, in call order. */
export type Write =
  | { readonly type: 'putState'; readonly key: string; readonly value: Buffer }
  | { readonly type: 'deleteState'; readonly key: string }
  | { readonly type: 'setValidationParameter'; readonly key: string; readonly value: Buffer }
  | { readonly type: 'putPrivateData'; readonly collection: string; readonly key: string; readonly value: Buffer }
  | { readonly type: 'purgePrivateData'; readonly collection: string; readonly key: string };

/** A committed change of one public key, as getHistoryForKey reports it. */
interface HistoryEntry {
  readonly txId: string;
  readonly millis: number;
  readonly isDelete: boolean;
  readonly value: Buffer;
}

type QueryResult<T> = Promise<Iterators.CommonIterator<T>> & AsyncIterable<T>;

/** fabric-shim's query results: a promise of an iterator that is also async-iterable. */
function queryResult<T>(items: readonly T[]): QueryResult<T> {
  let index = 0;
  const iterator: Iterators.CommonIterator<T> = {
    next: () => {
      const value = items[index];
      index += 1;
      return Promise.resolve(value === undefined ? { value: undefined as T, done: true } : { value, done: false });
    },
    close: () => Promise.resolve(),
  };
  const result = Promise.resolve(iterator) as QueryResult<T>;
  result[Symbol.asyncIterator] = () => {
    let next = 0;
    return {
      next: () => {
        const value = items[next];
        next += 1;
        return Promise.resolve(
          value === undefined ? { value: undefined, done: true as const } : { value, done: false as const },
        );
      },
    };
  };
  return result;
}

/** A long-like seconds value, as fabric-shim's getTxTimestamp returns (`Long`). */
function longSeconds(seconds: number): { toNumber(): number; toString(): string } {
  return { toNumber: () => seconds, toString: () => String(seconds) };
}

/** Handles `invokeChaincode` for one chaincode name, as the peer would for another chaincode. */
export type ChaincodeHandler = (args: readonly string[], from: FakeTransaction) => Promise<ChaincodeResponse>;

/** Options of one transaction. */
export interface TransactionOptions {
  readonly caller: Caller;
  /** MSP id of the peer that executes the transaction; defaults to the caller's. */
  readonly peerMsp?: string;
  /** Transient map entries (UTF-8 text or bytes). */
  readonly transient?: Readonly<Record<string, string | Uint8Array>>;
  /** Transaction time (ISO or epoch ms); defaults to the ledger's clock. */
  readonly at?: string | number;
  /** Transaction id; defaults to a fresh `tx-<n>`. */
  readonly txId?: string;
  /** Function name the stub reports (`getFunctionAndParameters`); defaults to the first of `args`. */
  readonly fcn?: string;
  /** The proposal's arguments, function name first (`getBufferArgs`), for dispatch through fabric-shim. */
  readonly args?: readonly string[];
  /**
   * The caller's enrollment certificate (PEM). When given, the context uses fabric-shim's real
   * ClientIdentity, which parses it, instead of the fake one.
   */
  readonly certificate?: string;
}

/** The subset of ChaincodeStub the chaincodes use, over a {@link FakeLedger}. */
export class FakeStub {
  readonly writes: Write[] = [];
  event: { readonly name: string; readonly payload: Buffer } | undefined;
  readonly invocations: { readonly chaincode: string; readonly args: readonly string[] }[] = [];

  constructor(
    private readonly ledger: FakeLedger,
    readonly tx: FakeTransaction,
  ) {}

  createCompositeKey(objectType: string, attributes: string[]): string {
    return ChaincodeStub.prototype.createCompositeKey.call(this, objectType, attributes);
  }

  splitCompositeKey(compositeKey: string): { objectType: string; attributes: string[] } {
    return ChaincodeStub.prototype.splitCompositeKey.call(this, compositeKey);
  }

  getTxID(): string {
    return this.tx.txId;
  }

  getChannelID(): string {
    return 'kyc';
  }

  getMspID(): string {
    return this.tx.peerMsp;
  }

  getFunctionAndParameters(): { fcn: string; params: string[] } {
    return { fcn: this.tx.fcn, params: this.tx.args.slice(1) };
  }

  getBufferArgs(): Buffer[] {
    return this.tx.args.map((arg) => Buffer.from(arg, 'utf8'));
  }

  getCreator(): { mspid: string; idBytes: Uint8Array } {
    if (this.tx.certificate === undefined) {
      throw new Error('this fake transaction has no creator certificate');
    }
    return { mspid: this.tx.caller.mspId, idBytes: Buffer.from(this.tx.certificate, 'utf8') };
  }

  getTxTimestamp(): { seconds: { toNumber(): number }; nanos: number } {
    const millis = this.tx.millis;
    return { seconds: longSeconds(Math.floor(millis / 1000)), nanos: (millis % 1000) * 1_000_000 };
  }

  getDateTimestamp(): Date {
    return new Date(this.tx.millis);
  }

  getTransient(): Map<string, Uint8Array> {
    return new Map(this.tx.transient);
  }

  getState(key: string): Promise<Uint8Array> {
    return Promise.resolve(Buffer.from(this.ledger.state.get(key) ?? []));
  }

  putState(key: string, value: Uint8Array): Promise<void> {
    this.writes.push({ type: 'putState', key, value: Buffer.from(value) });
    return Promise.resolve();
  }

  deleteState(key: string): Promise<void> {
    this.writes.push({ type: 'deleteState', key });
    return Promise.resolve();
  }

  setStateValidationParameter(key: string, ep: Uint8Array): Promise<void> {
    this.writes.push({ type: 'setValidationParameter', key, value: Buffer.from(ep) });
    return Promise.resolve();
  }

  getStateValidationParameter(key: string): Promise<Uint8Array> {
    return Promise.resolve(Buffer.from(this.ledger.validationParameters.get(key) ?? []));
  }

  getStateByPartialCompositeKey(objectType: string, attributes: string[]): QueryResult<Iterators.KV> {
    return queryResult(this.ledger.range(this.ledger.state, this.createCompositeKey(objectType, attributes)));
  }

  getHistoryForKey(key: string): QueryResult<Iterators.KeyModification> {
    const entries = [...(this.ledger.history.get(key) ?? [])].reverse();
    return queryResult(
      entries.map((entry) => ({
        txId: entry.txId,
        isDelete: entry.isDelete,
        value: entry.value,
        // History entries carry plain-number seconds (protobuf toObject), unlike getTxTimestamp's Long.
        timestamp: { seconds: Math.floor(entry.millis / 1000), nanos: (entry.millis % 1000) * 1_000_000 },
      })) as unknown as Iterators.KeyModification[],
    );
  }

  getPrivateData(collection: string, key: string): Promise<Uint8Array> {
    this.assertCanRead(collection);
    return Promise.resolve(Buffer.from(this.ledger.collection(collection).get(key) ?? []));
  }

  putPrivateData(collection: string, key: string, value: Uint8Array): Promise<void> {
    this.assertMayWritePrivate();
    this.writes.push({ type: 'putPrivateData', collection, key, value: Buffer.from(value) });
    return Promise.resolve();
  }

  purgePrivateData(collection: string, key: string): Promise<void> {
    this.assertMayWritePrivate();
    this.writes.push({ type: 'purgePrivateData', collection, key });
    return Promise.resolve();
  }

  /** Whether this transaction ran a range query over private data (after which Fabric refuses private writes). */
  private queriedPrivateRange = false;

  /** The peer's rule: "Transaction has already performed queries on pvt data. Writes are not allowed". */
  private assertMayWritePrivate(): void {
    if (this.queriedPrivateRange) {
      throw new Error('Transaction has already performed queries on pvt data. Writes are not allowed');
    }
  }

  getPrivateDataByPartialCompositeKey(
    collection: string,
    objectType: string,
    attributes: string[],
  ): QueryResult<Iterators.KV> {
    this.assertCanRead(collection);
    this.queriedPrivateRange = true;
    const partial = this.createCompositeKey(objectType, attributes);
    return queryResult(this.ledger.range(this.ledger.collection(collection), partial));
  }

  setEvent(name: string, payload: Uint8Array): void {
    this.event = { name, payload: Buffer.from(payload) };
  }

  invokeChaincode(chaincodeName: string, args: string[], channel: string): Promise<ChaincodeResponse> {
    this.invocations.push({ chaincode: chaincodeName, args: [...args] });
    const handler = this.ledger.chaincodes.get(chaincodeName);
    if (channel !== '' || handler === undefined) {
      return Promise.reject(new Error(`chaincode ${chaincodeName} not found on channel '${channel}'`));
    }
    return handler(args, this.tx);
  }

  /** Fabric refuses reads of a collection the executing peer's organisation is not a member of. */
  private assertCanRead(collection: string): void {
    if (collection.startsWith('_implicit_org_') && collection !== `_implicit_org_${this.tx.peerMsp}`) {
      throw new Error(`tx creator does not have read access permission on privatedata in collection ${collection}`);
    }
  }
}

/** A silent chaincode logger that remembers what was logged. */
class FakeLogger {
  readonly lines: string[] = [];
  error(message: string): void {
    this.lines.push(message);
  }
  warn(message: string): void {
    this.lines.push(message);
  }
  info(message: string): void {
    this.lines.push(message);
  }
  debug(message: string): void {
    this.lines.push(message);
  }
}

/** One transaction proposal: its context (stub + identity) and what it wrote. */
export class FakeTransaction {
  readonly txId: string;
  readonly millis: number;
  readonly peerMsp: string;
  readonly fcn: string;
  readonly args: readonly string[];
  readonly caller: Caller;
  readonly certificate: string | undefined;
  readonly transient: ReadonlyMap<string, Uint8Array>;
  readonly stub: FakeStub;
  readonly identity: ClientIdentity;
  readonly logger = new FakeLogger();
  readonly ctx: Context;

  constructor(ledger: FakeLedger, options: TransactionOptions, txId: string, millis: number) {
    this.txId = txId;
    this.millis = millis;
    this.peerMsp = options.peerMsp ?? options.caller.mspId;
    this.args = options.args ?? [];
    this.fcn = options.fcn ?? this.args[0] ?? '';
    this.caller = options.caller;
    this.certificate = options.certificate;
    this.transient = new Map(
      Object.entries(options.transient ?? {}).map(([key, value]) => [
        key,
        typeof value === 'string' ? Buffer.from(value, 'utf8') : value,
      ]),
    );
    this.stub = new FakeStub(ledger, this);
    this.identity =
      options.certificate === undefined
        ? new FakeClientIdentity(options.caller)
        : new ShimClientIdentity(this.stub as unknown as ChaincodeStub);
    const logger = this.logger;
    this.ctx = {
      stub: this.stub,
      clientIdentity: this.identity,
      logging: { setLevel: () => undefined, getLogger: () => logger },
    } as unknown as Context;
  }

  /** Every write and the event, for "nothing was written" assertions. */
  get effects(): { readonly writes: readonly Write[]; readonly event: unknown } {
    return { writes: this.stub.writes, event: this.stub.event };
  }

  /** The public-state values this transaction wrote, parsed, in write order. */
  putStates(): { key: string; value: unknown }[] {
    return this.stub.writes.flatMap((write) =>
      write.type === 'putState' ? [{ key: write.key, value: JSON.parse(write.value.toString('utf8')) as unknown }] : [],
    );
  }

  /** The private-data values this transaction wrote, parsed, in write order. */
  privateWrites(): { collection: string; key: string; value: unknown }[] {
    return this.stub.writes.flatMap((write) =>
      write.type === 'putPrivateData'
        ? [{ collection: write.collection, key: write.key, value: JSON.parse(write.value.toString('utf8')) as unknown }]
        : [],
    );
  }

  /** Every byte this transaction wrote or emitted, as one text (for "never contains" assertions). */
  allWrittenText(): string {
    const parts = this.stub.writes.map((write) =>
      'value' in write ? `${write.key}=${write.value.toString('utf8')}` : write.key,
    );
    return [...parts, this.stub.event?.payload.toString('utf8') ?? ''].join('\n');
  }
}

/** In-memory world state of one chaincode namespace, with a clock. */
export class FakeLedger {
  readonly state = new Map<string, Buffer>();
  readonly privateData = new Map<string, Map<string, Buffer>>();
  readonly validationParameters = new Map<string, Buffer>();
  readonly history = new Map<string, HistoryEntry[]>();
  readonly purged: { readonly collection: string; readonly key: string; readonly txId: string }[] = [];
  readonly events: { readonly name: string; readonly payload: unknown; readonly txId: string }[] = [];
  readonly chaincodes = new Map<string, ChaincodeHandler>();
  #clock: number;
  #txCount = 0;

  constructor(start = '2026-03-01T10:00:00.000Z') {
    this.#clock = Date.parse(start);
  }

  /** The ledger clock: the default time of the next transaction, epoch ms. */
  get now(): number {
    return this.#clock;
  }

  /** Moves the clock forward by `seconds`. */
  advance(seconds: number): void {
    this.#clock += seconds * 1000;
  }

  /** Starts a transaction proposal (nothing is committed until {@link submit}). */
  tx(options: TransactionOptions): FakeTransaction {
    this.#txCount += 1;
    const millis = typeof options.at === 'string' ? Date.parse(options.at) : (options.at ?? this.#clock);
    return new FakeTransaction(this, options, options.txId ?? `tx-${this.#txCount}`, millis);
  }

  /**
   * Runs `body` as one transaction and commits its writes if it succeeds, as an orderer and validating peers
   * would; a failure commits nothing and is rethrown.
   */
  async submit<T>(tx: FakeTransaction, body: (ctx: Context) => Promise<T>): Promise<T> {
    const result = await body(tx.ctx);
    this.commit(tx);
    return result;
  }

  /** Runs `body` without committing (an evaluate), returning its result. */
  evaluate<T>(tx: FakeTransaction, body: (ctx: Context) => Promise<T>): Promise<T> {
    return body(tx.ctx);
  }

  /** Registers what `invokeChaincode(name, …)` reaches. */
  linkChaincode(name: string, handler: ChaincodeHandler): void {
    this.chaincodes.set(name, handler);
  }

  /** The committed private data of one collection (empty when nothing was ever written to it). */
  collection(name: string): ReadonlyMap<string, Buffer> {
    return this.privateData.get(name) ?? new Map<string, Buffer>();
  }

  private writableCollection(name: string): Map<string, Buffer> {
    let data = this.privateData.get(name);
    if (data === undefined) {
      data = new Map();
      this.privateData.set(name, data);
    }
    return data;
  }

  /** Entries whose key starts with `prefix`, in key order. */
  range(data: ReadonlyMap<string, Buffer>, prefix: string): Iterators.KV[] {
    return [...data.keys()]
      .filter((key) => key.startsWith(prefix))
      .sort()
      .map((key) => ({ namespace: 'fake', key, value: Buffer.from(data.get(key) ?? []) }));
  }

  /** The committed public value under `key`, parsed (undefined when absent). */
  read(key: string): unknown {
    const value = this.state.get(key);
    return value === undefined ? undefined : (JSON.parse(value.toString('utf8')) as unknown);
  }

  /** Everything committed, as one comparable text (for "nothing changed" assertions). */
  snapshot(): string {
    const dump = (data: ReadonlyMap<string, Buffer>): [string, string][] =>
      [...data.entries()].sort().map(([key, value]) => [key, value.toString('base64')]);
    return JSON.stringify({
      state: dump(this.state),
      private: [...this.privateData.entries()].sort().map(([name, data]) => [name, dump(data)]),
      validation: dump(this.validationParameters),
      purged: this.purged,
      events: this.events,
    });
  }

  private commit(tx: FakeTransaction): void {
    for (const write of tx.stub.writes) {
      this.apply(write, tx);
    }
    if (tx.stub.event !== undefined) {
      const { name, payload } = tx.stub.event;
      this.events.push({ name, payload: JSON.parse(payload.toString('utf8')) as unknown, txId: tx.txId });
    }
  }

  private apply(write: Write, tx: FakeTransaction): void {
    switch (write.type) {
      case 'putState':
      case 'deleteState': {
        const isDelete = write.type === 'deleteState';
        if (isDelete) {
          this.state.delete(write.key);
        } else {
          this.state.set(write.key, write.value);
        }
        const entries = this.history.get(write.key) ?? [];
        entries.push({ txId: tx.txId, millis: tx.millis, isDelete, value: isDelete ? Buffer.alloc(0) : write.value });
        this.history.set(write.key, entries);
        return;
      }
      case 'setValidationParameter':
        this.validationParameters.set(write.key, write.value);
        return;
      case 'putPrivateData':
        this.writableCollection(write.collection).set(write.key, write.value);
        return;
      case 'purgePrivateData':
        this.writableCollection(write.collection).delete(write.key);
        this.purged.push({ collection: write.collection, key: write.key, txId: tx.txId });
        return;
    }
  }
}

/**
 * A handler that runs a contract's transaction function in place of another chaincode, as the peer does for
 * `invokeChaincode`: same transaction id, time, caller and peer, over that chaincode's own ledger; a thrown
 * error becomes a status-500 response carrying only the message, as fabric-shim returns it.
 */
export function contractHandler(ledger: FakeLedger, contract: object, contractName: string): ChaincodeHandler {
  return async (args, from) => {
    const [fcnAndName = '', ...params] = args;
    const separator = fcnAndName.indexOf(':');
    const name = separator < 0 ? contractName : fcnAndName.slice(0, separator);
    const fcn = separator < 0 ? fcnAndName : fcnAndName.slice(separator + 1);
    const method = (contract as Record<string, unknown>)[fcn];
    if (name !== contractName || typeof method !== 'function') {
      return { status: 500, message: `You've asked to invoke a function that does not exist: ${fcnAndName}` };
    }
    const tx = ledger.tx({
      caller: from.caller,
      certificate: from.certificate,
      peerMsp: from.peerMsp,
      at: from.millis,
      txId: from.txId,
    });
    try {
      const payload = await ledger.submit(tx, (ctx) =>
        (method as (...a: unknown[]) => Promise<string>).call(contract, ctx, ...params),
      );
      return { status: 200, message: '', payload: Buffer.from(payload) };
    } catch (error) {
      return { status: 500, message: error instanceof Error ? error.message : String(error) };
    }
  };
}

/**
 * Asserts that `promise` rejects with a KycError of `code` whose message starts with the code, and returns
 * the error for further checks.
 */
export async function rejectsWithCode(promise: Promise<unknown>, code: ErrorCode, detail?: RegExp): Promise<KycError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof KycError, `expected a KycError ${code}, got ${String(caught)}`);
  assert.equal(caught.code, code, `expected ${code}, got ${caught.message}`);
  assert.ok(caught.message.startsWith(`${code}: `));
  if (detail !== undefined) {
    assert.match(caught.detail, detail);
  }
  return caught;
}

/** Asserts that `error` is a KycError with a known code and a message that starts with it. */
export function assertCodedError(error: unknown): asserts error is KycError {
  assert.ok(error instanceof KycError, `expected a KycError, got ${String(error)}`);
  assert.ok(isErrorCode(error.code));
  assert.ok(error.message.startsWith(`${error.code}: `));
}

/** Asserts that a transaction wrote nothing, emitted nothing, and that the ledger is as it was. */
export function assertNothingWritten(tx: FakeTransaction, ledger?: FakeLedger, before?: string): void {
  assert.deepEqual(tx.stub.writes, [], 'the transaction wrote something');
  assert.equal(tx.stub.event, undefined, 'the transaction emitted an event');
  if (ledger !== undefined && before !== undefined) {
    // Compare without printing both snapshots: they are long and mostly base64.
    assert.ok(ledger.snapshot() === before, 'the ledger changed');
  }
}

/**
 * Runs a transaction that must fail with `code` and must leave no trace: no write, no event, ledger
 * unchanged.
 */
export async function assertRefused(
  ledger: FakeLedger,
  tx: FakeTransaction,
  body: (ctx: Context) => Promise<unknown>,
  code: ErrorCode,
  detail?: RegExp,
): Promise<KycError> {
  const before = ledger.snapshot();
  const error = await rejectsWithCode(ledger.submit(tx, body), code, detail);
  assertNothingWritten(tx, ledger, before);
  return error;
}
