import { status as GrpcStatus } from '@grpc/grpc-js';
import { gateway as gatewayProtos, msp } from '@hyperledger/fabric-protos';
import {
  CommitError,
  type Commit,
  type Contract,
  type Gateway,
  type ProposalOptions,
  type Transaction,
} from '@hyperledger/fabric-gateway';
import {
  KYC_TRANSACTIONS,
  KYC_TRANSACTION_NAMES,
  MAX_ERASED_PER_TRANSACTION,
  encodeArguments,
  KycError,
  type Erasure,
  type KycTransactionName,
  type KycTransactions,
  type SubmitTransactionName,
} from '../../../protocol/src';
import { toKycError } from '../errors';

/**
 * A submit transaction endorsed and signed but not yet known to be committed: what a service stores before it
 * orders the transaction, so that after a crash or a timeout it orders these same bytes again. The id is fixed
 * by the bytes and a channel commits an id once (a copy is invalidated as DUPLICATE_TXID), so committing a
 * prepared transaction any number of times has the effect of committing it once.
 */
export interface PreparedTransaction<N extends SubmitTransactionName = SubmitTransactionName> {
  readonly name: N;
  /** The Fabric transaction id. */
  readonly id: string;
  /** The signed transaction envelope, base64url. Holds the arguments, never the transient data. */
  readonly bytes: string;
}

/**
 * A typed view of the `kyc` chaincode for the services, derived from the ledger API table
 * (protocol/src/ledger-api.ts): one method per transaction, named like it in camelCase (`Certify` →
 * `certify`), plus the two halves of a submit, `prepare` and `commit`, for callers that must survive a crash
 * between them. Every call goes through one error translation, so callers only ever see KycError with a
 * stable code.
 */
export type KycLedger = {
  readonly [N in KycTransactionName as Uncapitalize<N>]: (
    ...args: KycTransactions[N]['args']
  ) => Promise<KycTransactions[N]['result']>;
} & {
  /** Endorses and signs a submit transaction; nothing is ordered. */
  prepare<N extends SubmitTransactionName>(
    name: N,
    ...args: KycTransactions[N]['args']
  ): Promise<PreparedTransaction<N>>;
  /**
   * Orders a prepared transaction (again) and waits for its commit; resolves to its result. Idempotent: if the
   * same id committed before, this resolves to that commit's result. A refusal at commit (e.g. KYC_CONFLICT
   * for an MVCC conflict) is final for these bytes; KYC_UNAVAILABLE means the outcome is unknown: commit again.
   */
  commit<N extends SubmitTransactionName>(prepared: PreparedTransaction<N>): Promise<KycTransactions[N]['result']>;
};

/** How the ledger client reaches one network: the three operations every method is made of. */
export interface LedgerInvoker {
  /** Runs an evaluate transaction on a peer; resolves to its parsed result. */
  evaluate(name: KycTransactionName, args: readonly unknown[]): Promise<unknown>;
  prepare(name: SubmitTransactionName, args: readonly unknown[]): Promise<PreparedTransaction>;
  /** Resolves to the committed transaction's parsed result. */
  commit(prepared: PreparedTransaction): Promise<unknown>;
}

/** The client's method for a transaction: its name in camelCase (`Certify` → `certify`). */
export const ledgerMethodName = (name: KycTransactionName): string => name.charAt(0).toLowerCase() + name.slice(1);

const isSubmit = (name: KycTransactionName): name is SubmitTransactionName => KYC_TRANSACTIONS[name].kind === 'submit';

/**
 * The ledger client over any invoker: one method per row of the table; a submit is prepare, then commit.
 * Commits of one transaction id already in flight are joined rather than sent again (a client's retry and the
 * sweep completing the same approval): every copy sent is a DUPLICATE_TXID block entry the peers must process.
 */
export function kycLedgerFrom(invoker: LedgerInvoker): KycLedger {
  const inFlight = new Map<string, Promise<unknown>>();
  const commit = (prepared: PreparedTransaction): Promise<unknown> => {
    let pending = inFlight.get(prepared.id);
    if (pending === undefined) {
      pending = invoker.commit(prepared).finally(() => inFlight.delete(prepared.id));
      inFlight.set(prepared.id, pending);
    }
    return pending;
  };
  const methods = Object.fromEntries(
    KYC_TRANSACTION_NAMES.map((name) => [
      ledgerMethodName(name),
      async (...args: unknown[]) =>
        isSubmit(name) ? commit(await invoker.prepare(name, args)) : invoker.evaluate(name, args),
    ]),
  );
  const halves = {
    prepare: (name: SubmitTransactionName, ...args: unknown[]) => invoker.prepare(name, args),
    commit,
  };
  return { ...methods, ...halves } as unknown as KycLedger;
}

export interface KycLedgerOptions {
  readonly contract: Contract;
  /** The channel the contract is on (commit-status requests name it). */
  readonly channel: string;
  /** Recreates a prepared transaction from its bytes, and asks for commit status (the contract's Gateway). */
  readonly gateway: Pick<Gateway, 'newTransaction' | 'newCommit' | 'getIdentity'>;
  /** The caller's MSP id: private transactions are endorsed by this organisation alone. */
  readonly mspId: string;
  /** Observes the duration of each call (metrics): `<name>` for evaluate and endorse, `<name>.commit`. */
  readonly observe?: (operation: string, seconds: number) => void;
}

const decoder = new TextDecoder();
/** Attempts at handing an endorsed transaction to ordering while no orderer accepts it (leader election). */
const ORDERING_ATTEMPTS = 8;

function orderingUnavailable(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown };
  return e.name === 'SubmitError' && e.code === GrpcStatus.UNAVAILABLE;
}

/** How long to ask whether a transaction the orderers refused to take again has committed already. */
const STATUS_PROBE_MS = 3_000;

/** A commit-status request for `transactionId`, asked as the gateway's own identity (signed when sent). */
function commitOf(gateway: KycLedgerOptions['gateway'], channel: string, transactionId: string): Commit {
  const identity = new msp.SerializedIdentity();
  identity.setMspid(gateway.getIdentity().mspId);
  identity.setIdBytes(gateway.getIdentity().credentials);
  const request = new gatewayProtos.CommitStatusRequest();
  request.setChannelId(channel);
  request.setTransactionId(transactionId);
  request.setIdentity(identity.serializeBinary());
  const signed = new gatewayProtos.SignedCommitStatusRequest();
  signed.setRequest(request.serializeBinary());
  return gateway.newCommit(signed.serializeBinary());
}

/**
 * Hands the signed transaction to ordering, retrying while no orderer accepts it (a Raft leader election after
 * an orderer restart), and waits for its commit status. Retrying is safe: the transaction keeps its id, so it
 * can never be committed twice; the status of an id is that of its first commit. SmartBFT orderers refuse a
 * transaction they already ordered ("request already processed", UNAVAILABLE): so after each refusal the
 * status is asked first, and a transaction that committed earlier is answered from it.
 */
async function submitAndWait(transaction: Transaction, alreadyCommitted: () => Commit): Promise<Uint8Array> {
  let commit: Commit | undefined;
  for (let attempt = 1; commit === undefined; attempt++) {
    try {
      commit = await transaction.submit();
    } catch (err) {
      if (!orderingUnavailable(err)) throw err;
      const earlier = alreadyCommitted();
      const known = await earlier.getStatus({ deadline: Date.now() + STATUS_PROBE_MS }).catch(() => undefined);
      if (known !== undefined) {
        commit = earlier;
        break;
      }
      if (attempt >= ORDERING_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
  }
  const status = await commit.getStatus();
  if (!status.successful) {
    throw new CommitError({
      code: status.code,
      transactionId: status.transactionId,
      message: `transaction ${status.transactionId} failed to commit with status code ${String(status.code)}`,
    });
  }
  return transaction.getResult();
}

/** The invoker for one identity's contract: kind and endorsement come from the table. */
export function contractInvoker(options: Readonly<KycLedgerOptions>): LedgerInvoker {
  const { contract, gateway, mspId, channel } = options;
  const proposalOf = (name: KycTransactionName, args: readonly unknown[]): ProposalOptions => {
    const encoded = encodeArguments(name, args as KycTransactions[typeof name]['args']);
    return {
      arguments: encoded.arguments,
      ...(Object.keys(encoded.transientData).length > 0 ? { transientData: encoded.transientData } : {}),
      ...(KYC_TRANSACTIONS[name].endorsement === 'own-org' ? { endorsingOrganizations: [mspId] } : {}),
    };
  };
  const observed = async <T>(operation: string, run: () => Promise<T>, transactionId?: string): Promise<T> => {
    const started = process.hrtime.bigint();
    try {
      return await run();
    } catch (err) {
      throw toKycError(err, transactionId);
    } finally {
      options.observe?.(operation, Number(process.hrtime.bigint() - started) / 1e9);
    }
  };
  return {
    // The chaincode's results are JSON whose shapes protocol/src/ledger-api.ts defines.
    evaluate: (name, args) =>
      observed(
        name,
        async () => JSON.parse(decoder.decode(await contract.evaluate(name, proposalOf(name, args)))) as unknown,
      ),
    prepare: (name, args) =>
      observed(name, async () => {
        const transaction = await contract.newProposal(name, proposalOf(name, args)).endorse();
        return {
          name,
          id: transaction.getTransactionId(),
          bytes: Buffer.from(transaction.getBytes()).toString('base64url'),
        };
      }),
    commit: (prepared) =>
      observed(
        `${prepared.name}.commit`,
        async () => {
          const transaction = gateway.newTransaction(Buffer.from(prepared.bytes, 'base64url'));
          if (transaction.getTransactionId() !== prepared.id) {
            throw new KycError('KYC_INTERNAL', 'a prepared transaction whose bytes do not carry its id');
          }
          const result = await submitAndWait(transaction, () => commitOf(gateway, channel, prepared.id));
          return JSON.parse(decoder.decode(result)) as unknown;
        },
        prepared.id,
      ),
  };
}

/** Creates the ledger client for one identity's contract. */
export function newKycLedger(options: Readonly<KycLedgerOptions>): KycLedger {
  return kycLedgerFrom(contractInvoker(options));
}

/**
 * Erases every receipt the caller's organisation holds about a person. Fabric refuses private writes after a
 * private range query in one transaction, so this lists them, then purges them by name, in batches.
 */
export async function eraseAllReceipts(ledger: KycLedger, personId: string): Promise<Erasure> {
  const receipts = await ledger.getReceipts(personId);
  let erased = 0;
  for (let i = 0; i < receipts.length; i += MAX_ERASED_PER_TRANSACTION) {
    const ids = receipts.slice(i, i + MAX_ERASED_PER_TRANSACTION).map((r) => r.registrationId);
    erased += (await ledger.eraseReceipts(personId, ids)).erased;
  }
  return { personId, erased };
}
