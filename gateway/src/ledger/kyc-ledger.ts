import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  CommitError,
  type Contract,
  type ProposalOptions,
  type SubmittedTransaction,
} from '@hyperledger/fabric-gateway';
import {
  KYC_TRANSACTIONS,
  KYC_TRANSACTION_NAMES,
  MAX_ERASED_PER_TRANSACTION,
  encodeArguments,
  type Erasure,
  type KycTransactionName,
  type KycTransactions,
} from '../../../protocol/src';
import { toKycError } from '../errors';

/**
 * A typed view of the `kyc` chaincode for the services, derived from the ledger API table
 * (protocol/src/ledger-api.ts): one method per transaction, named like it in camelCase (`Certify` →
 * `certify`). Every call goes through one error translation, so callers only ever see KycError with a
 * stable code.
 */
export type KycLedger = {
  readonly [N in KycTransactionName as Uncapitalize<N>]: (
    ...args: KycTransactions[N]['args']
  ) => Promise<KycTransactions[N]['result']>;
};

/** Runs one transaction of the table with its typed arguments; resolves to its parsed result. */
export type LedgerInvoker = (name: KycTransactionName, args: readonly unknown[]) => Promise<unknown>;

/** The client's method for a transaction: its name in camelCase (`Certify` → `certify`). */
export const ledgerMethodName = (name: KycTransactionName): string => name.charAt(0).toLowerCase() + name.slice(1);

/** The ledger client over any invoker: one method per row of the table. */
export function kycLedgerFrom(invoke: LedgerInvoker): KycLedger {
  return Object.fromEntries(
    KYC_TRANSACTION_NAMES.map((name) => [ledgerMethodName(name), (...args: unknown[]) => invoke(name, args)]),
  ) as KycLedger;
}

export interface KycLedgerOptions {
  readonly contract: Contract;
  /** The caller's MSP id: private transactions are endorsed by this organisation alone. */
  readonly mspId: string;
  /** Observes the duration of each call (metrics); optional. */
  readonly observe?: (operation: string, seconds: number) => void;
}

const decoder = new TextDecoder();
/** Attempts at handing an endorsed transaction to ordering while no orderer accepts it (leader election). */
const ORDERING_ATTEMPTS = 8;

function orderingUnavailable(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown };
  return e.name === 'SubmitError' && e.code === GrpcStatus.UNAVAILABLE;
}

/**
 * Endorses once, then hands the signed transaction to ordering, retrying while no orderer accepts it
 * (a Raft leader election after an orderer restart). Retrying is safe: the transaction keeps its id, so it
 * can never be committed twice.
 */
async function submitRidingOverOrdering(
  contract: Contract,
  name: string,
  options: ProposalOptions,
): Promise<Uint8Array> {
  const transaction = await contract.newProposal(name, options).endorse();
  let commit: SubmittedTransaction | undefined;
  for (let attempt = 1; commit === undefined; attempt++) {
    try {
      commit = await transaction.submit();
    } catch (err) {
      if (!orderingUnavailable(err) || attempt >= ORDERING_ATTEMPTS) throw err;
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
  return commit.getResult();
}

/** The invoker for one identity's contract: kind and endorsement come from the table. */
export function contractInvoker(options: Readonly<KycLedgerOptions>): LedgerInvoker {
  const { contract, mspId } = options;
  return async (name, args) => {
    const started = process.hrtime.bigint();
    try {
      const spec = KYC_TRANSACTIONS[name];
      const encoded = encodeArguments(name, args as KycTransactions[typeof name]['args']);
      const proposal: ProposalOptions = {
        arguments: encoded.arguments,
        ...(Object.keys(encoded.transientData).length > 0 ? { transientData: encoded.transientData } : {}),
        ...(spec.endorsement === 'own-org' ? { endorsingOrganizations: [mspId] } : {}),
      };
      const bytes =
        spec.kind === 'submit'
          ? await submitRidingOverOrdering(contract, name, proposal)
          : await contract.evaluate(name, proposal);
      // The chaincode's results are JSON whose shapes protocol/src/ledger-api.ts defines.
      return JSON.parse(decoder.decode(bytes)) as unknown;
    } catch (err) {
      throw toKycError(err);
    } finally {
      options.observe?.(name, Number(process.hrtime.bigint() - started) / 1e9);
    }
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
