import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  CommitError,
  type Contract,
  type ProposalOptions,
  type SubmittedTransaction,
} from '@hyperledger/fabric-gateway';
import type { Attestation, PresentationTransient } from '../../../protocol/src';
import { toKycError } from '../errors';

/**
 * A typed view of the `kyc` chaincode (docs/contract.md) for the services. Every call goes through one
 * error translation, so callers only ever see KycError with a stable code.
 */

export interface Commitment {
  readonly schema: string;
  readonly level: number;
  readonly digests: readonly string[];
  readonly validFrom: string;
  readonly validUntil: string;
}

/** An attestation as the ledger stores it (protocol/src/attestation.ts). */
export type AttestationRecord = Attestation;

export interface HistoryEntry {
  readonly txId: string;
  readonly timestamp: string;
  readonly isDelete: boolean;
  readonly record?: AttestationRecord;
}

export type VerifiedStatus =
  | {
      readonly personId: string;
      readonly verified: true;
      readonly certifier: string;
      readonly kind: string;
      readonly level: number;
      readonly validUntil: string;
      readonly version: number;
    }
  | { readonly personId: string; readonly verified: false; readonly reason: string };

/** What the bank sends to VerifyPresentation in the transient map (never in arguments). */
export type PresentationInput = PresentationTransient;

/** What a verification confirmed: claim names only, never values. */
export interface Confirmation {
  readonly registrationId: string;
  readonly personId: string;
  readonly certifier: string;
  readonly kind: string;
  readonly level: number;
  readonly recordVersion: number;
  readonly claims: readonly string[];
  readonly verifiedAt: string;
  readonly txId: string;
}

/** VerifyPresentation's answer. */
export interface VerificationResult extends Confirmation {
  readonly verified: true;
  readonly validUntil: string;
}

/** The bank's private record of a verification. */
export interface Receipt extends Confirmation {
  readonly consentId: string;
}

export interface Usage {
  readonly bank: string;
  readonly verifications: number;
  readonly from: string;
  readonly to: string;
}

export interface KycLedger {
  readonly certify: (personId: string, requestJws: string, commitment: Commitment) => Promise<AttestationRecord>;
  readonly renew: (
    personId: string,
    kind: string,
    requestJws: string,
    commitment: Commitment,
  ) => Promise<AttestationRecord>;
  readonly revoke: (personId: string, kind: string, reason: string) => Promise<AttestationRecord>;
  readonly getAttestation: (personId: string, certifier: string, kind: string) => Promise<AttestationRecord>;
  readonly getAttestations: (personId: string) => Promise<readonly AttestationRecord[]>;
  readonly getHistory: (personId: string, certifier: string, kind: string) => Promise<readonly HistoryEntry[]>;
  readonly isVerified: (
    personId: string,
    minLevel: number,
    trustedCertifiers: readonly string[],
  ) => Promise<VerifiedStatus>;
  /** Endorsed by the caller's own organisation only, so the transient disclosures stay inside it. */
  readonly verifyPresentation: (registrationId: string, presentation: PresentationInput) => Promise<VerificationResult>;
  readonly eraseReceipts: (personId: string) => Promise<{ readonly personId: string; readonly erased: number }>;
  readonly getReceipts: (personId: string) => Promise<readonly Receipt[]>;
  readonly getUsage: (from: string, to: string) => Promise<Usage>;
}

export interface KycLedgerOptions {
  readonly contract: Contract;
  /** The caller's MSP id: private transactions are endorsed by this organisation alone. */
  readonly mspId: string;
  /** Observes the duration of each call (metrics); optional. */
  readonly observe?: (operation: string, seconds: number) => void;
}

const decoder = new TextDecoder();
/** The chaincode's limit of receipts per EraseReceipts transaction. */
const MAX_ERASED_PER_TRANSACTION = 100;

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

/** Creates the ledger client for one identity's contract. */
export function newKycLedger(options: Readonly<KycLedgerOptions>): KycLedger {
  const { contract, mspId } = options;

  async function timed<T>(operation: string, run: () => Promise<Uint8Array>): Promise<T> {
    const started = process.hrtime.bigint();
    try {
      // The chaincode's results are JSON whose shapes docs/contract.md defines.
      return JSON.parse(decoder.decode(await run())) as T;
    } catch (err) {
      throw toKycError(err);
    } finally {
      options.observe?.(operation, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  const submit = <T>(name: string, ...args: string[]): Promise<T> =>
    timed<T>(name, () => submitRidingOverOrdering(contract, name, { arguments: args }));
  const evaluate = <T>(name: string, ...args: string[]): Promise<T> =>
    timed<T>(name, () => contract.evaluateTransaction(name, ...args));
  const ownOrg = <T>(name: string, args: string[], transient?: Record<string, Uint8Array>): Promise<T> =>
    timed<T>(name, () =>
      submitRidingOverOrdering(contract, name, {
        arguments: args,
        endorsingOrganizations: [mspId],
        ...(transient ? { transientData: transient } : {}),
      }),
    );
  const ownOrgRead = <T>(name: string, args: string[]): Promise<T> =>
    timed<T>(name, () => contract.evaluate(name, { arguments: args, endorsingOrganizations: [mspId] }));

  return {
    certify: (personId, requestJws, commitment) => submit('Certify', personId, requestJws, JSON.stringify(commitment)),
    renew: (personId, kind, requestJws, commitment) =>
      submit('Renew', personId, kind, requestJws, JSON.stringify(commitment)),
    revoke: (personId, kind, reason) => submit('Revoke', personId, kind, reason),
    getAttestation: (personId, certifier, kind) => evaluate('GetAttestation', personId, certifier, kind),
    getAttestations: (personId) => evaluate('GetAttestations', personId),
    getHistory: (personId, certifier, kind) => evaluate('GetHistory', personId, certifier, kind),
    isVerified: (personId, minLevel, trusted) =>
      evaluate('IsVerified', personId, String(minLevel), JSON.stringify(trusted)),
    verifyPresentation: (registrationId, presentation) =>
      ownOrg('VerifyPresentation', [registrationId], {
        presentation: new TextEncoder().encode(JSON.stringify(presentation)),
      }),
    // Fabric refuses private writes after a private range query in one transaction: list, then purge by name.
    eraseReceipts: async (personId) => {
      const receipts = await ownOrgRead<readonly Receipt[]>('GetReceipts', [personId]);
      let erased = 0;
      for (let i = 0; i < receipts.length; i += MAX_ERASED_PER_TRANSACTION) {
        const ids = receipts.slice(i, i + MAX_ERASED_PER_TRANSACTION).map((r) => r.registrationId);
        erased += (await ownOrg<{ erased: number }>('EraseReceipts', [personId, JSON.stringify(ids)])).erased;
      }
      return { personId, erased };
    },
    getReceipts: (personId) => ownOrgRead('GetReceipts', [personId]),
    getUsage: (from, to) => ownOrgRead('GetUsage', [from, to]),
  };
}
