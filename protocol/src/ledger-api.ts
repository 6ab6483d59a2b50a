import type { Attestation, PresentationTransient, RevocationReason } from './attestation';
import type { Consortium, FoundingMember, MemberStatus, OrgRole, RoleProposal } from './consortium';
import { KycError } from './errors';
import type { AssuranceLevel } from './messages';

/**
 * The `kyc` chaincode's API: every transaction's name, kind, endorsement, arguments and result, in one
 * table. The contract (chaincode/src/kyc/contract.ts) implements it (a unit test compares the contract's
 * metadata with this table), and the ledger client (gateway/src/ledger), the services' fakes and the bench
 * are derived from it. Adding a transaction: a row here, a method in the contract; nothing else by hand.
 * Shapes and rules: docs/contract.md.
 */

/** What a certifier commits to: salted digests of the verified claims, with level and validity. */
export interface Commitment {
  readonly schema: string;
  readonly level: AssuranceLevel;
  /** Sorted ascending, distinct. */
  readonly digests: readonly string[];
  /** Canonical ISO-8601 UTC with milliseconds. */
  readonly validFrom: string;
  readonly validUntil: string;
}

/** One change of an attestation, from the ledger's history (deletions carry no record). */
export interface HistoryEntry {
  readonly txId: string;
  readonly timestamp: string;
  readonly isDelete: boolean;
  readonly record?: Attestation;
}

/** IsVerified's answer: the best record that meets the requirement, or why none does. */
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

export interface Erasure {
  readonly personId: string;
  readonly erased: number;
}

export interface Usage {
  readonly bank: string;
  readonly verifications: number;
  readonly from: string;
  readonly to: string;
}

/** Each transaction's kind (submit or evaluate), arguments (in order) and result, as TypeScript sees them on both sides. */
export interface KycTransactions {
  Certify: {
    kind: 'submit';
    args: [personId: string, requestJws: string, commitment: Commitment];
    result: Attestation;
  };
  Renew: {
    kind: 'submit';
    args: [personId: string, kind: string, requestJws: string, commitment: Commitment];
    result: Attestation;
  };
  Revoke: {
    kind: 'submit';
    args: [personId: string, kind: string, reason: RevocationReason];
    result: Attestation;
  };
  GetAttestation: {
    kind: 'evaluate';
    args: [personId: string, certifier: string, kind: string];
    result: Attestation;
  };
  GetAttestations: {
    kind: 'evaluate';
    args: [personId: string];
    result: readonly Attestation[];
  };
  GetHistory: {
    kind: 'evaluate';
    args: [personId: string, certifier: string, kind: string];
    result: readonly HistoryEntry[];
  };
  IsVerified: {
    kind: 'evaluate';
    args: [personId: string, minLevel: AssuranceLevel, trustedCertifiers: readonly string[]];
    result: VerifiedStatus;
  };
  VerifyPresentation: {
    kind: 'submit';
    args: [registrationId: string, presentation: PresentationTransient];
    result: VerificationResult;
  };
  EraseReceipts: {
    kind: 'submit';
    args: [personId: string, registrationIds: readonly string[]];
    result: Erasure;
  };
  GetReceipts: {
    kind: 'evaluate';
    args: [personId: string];
    result: readonly Receipt[];
  };
  GetUsage: {
    kind: 'evaluate';
    args: [from: string, to: string];
    result: Usage;
  };
  FoundConsortium: {
    kind: 'submit';
    args: [members: readonly FoundingMember[]];
    result: Consortium;
  };
  ProposeRoleChange: {
    kind: 'submit';
    args: [proposalId: string, msp: string, role: OrgRole, status: MemberStatus];
    result: RoleProposal;
  };
  ApproveRoleChange: {
    kind: 'submit';
    args: [proposalId: string];
    result: RoleProposal;
  };
  GetConsortium: {
    kind: 'evaluate';
    args: [];
    result: Consortium;
  };
}

export type KycTransactionName = keyof KycTransactions;

/** The transactions that write: ordered and committed (and so prepared and committed apart by a client). */
export type SubmitTransactionName = {
  [N in KycTransactionName]: KycTransactions[N]['kind'] extends 'submit' ? N : never;
}[KycTransactionName];

/**
 * How an argument travels: `text` as is, `number` in decimal, `json` as JSON text, `transient` as JSON in
 * the transient map under the parameter's name (private inputs: never in the block).
 */
export type ArgumentEncoding = 'text' | 'number' | 'json' | 'transient';

export interface ParameterSpec {
  readonly name: string;
  readonly encoding: ArgumentEncoding;
}

export interface TransactionSpec {
  /** `submit` is ordered and committed; `evaluate` only queries one peer. */
  readonly kind: 'submit' | 'evaluate';
  /**
   * `policy`: endorsed as the chaincode's endorsement policy requires. `own-org`: endorsed (or evaluated) by
   * the caller's organisation alone, because it reads or writes that organisation's private data.
   */
  readonly endorsement: 'policy' | 'own-org';
  readonly params: readonly ParameterSpec[];
}

type Specs = {
  readonly [N in KycTransactionName]: TransactionSpec & {
    readonly kind: KycTransactions[N]['kind'];
    readonly params: { length: KycTransactions[N]['args']['length'] };
  };
};

const text = (name: string): ParameterSpec => ({ name, encoding: 'text' });
const json = (name: string): ParameterSpec => ({ name, encoding: 'json' });

export const KYC_TRANSACTIONS: Specs = {
  Certify: {
    kind: 'submit',
    endorsement: 'policy',
    params: [text('personId'), text('requestJws'), json('commitment')],
  },
  Renew: {
    kind: 'submit',
    endorsement: 'policy',
    params: [text('personId'), text('kind'), text('requestJws'), json('commitment')],
  },
  Revoke: { kind: 'submit', endorsement: 'policy', params: [text('personId'), text('kind'), text('reason')] },
  GetAttestation: {
    kind: 'evaluate',
    endorsement: 'policy',
    params: [text('personId'), text('certifier'), text('kind')],
  },
  GetAttestations: { kind: 'evaluate', endorsement: 'policy', params: [text('personId')] },
  GetHistory: { kind: 'evaluate', endorsement: 'policy', params: [text('personId'), text('certifier'), text('kind')] },
  IsVerified: {
    kind: 'evaluate',
    endorsement: 'policy',
    params: [text('personId'), { name: 'minLevel', encoding: 'number' }, json('trustedCertifiers')],
  },
  VerifyPresentation: {
    kind: 'submit',
    endorsement: 'own-org',
    params: [text('registrationId'), { name: 'presentation', encoding: 'transient' }],
  },
  EraseReceipts: { kind: 'submit', endorsement: 'own-org', params: [text('personId'), json('registrationIds')] },
  GetReceipts: { kind: 'evaluate', endorsement: 'own-org', params: [text('personId')] },
  GetUsage: { kind: 'evaluate', endorsement: 'own-org', params: [text('from'), text('to')] },
  FoundConsortium: { kind: 'submit', endorsement: 'policy', params: [json('members')] },
  ProposeRoleChange: {
    kind: 'submit',
    endorsement: 'policy',
    params: [text('proposalId'), text('msp'), text('role'), text('status')],
  },
  ApproveRoleChange: { kind: 'submit', endorsement: 'policy', params: [text('proposalId')] },
  GetConsortium: { kind: 'evaluate', endorsement: 'policy', params: [] },
};

export const KYC_TRANSACTION_NAMES = Object.keys(KYC_TRANSACTIONS) as readonly KycTransactionName[];

/** How Certify says the caller's record exists (KYC_CONFLICT): the certifier should Renew instead. */
const RECORD_EXISTS_SUFFIX = 'exists for this person: use Renew';

export function recordExistsDetail(kind: string, certifier: string): string {
  return `an attestation of kind ${kind} by ${certifier} ${RECORD_EXISTS_SUFFIX}`;
}

/** True for Certify's refusal of a record that exists (as opposed to a used request, also KYC_CONFLICT). */
export function isRecordExists(err: unknown): boolean {
  return err instanceof KycError && err.code === 'KYC_CONFLICT' && err.detail.endsWith(RECORD_EXISTS_SUFFIX);
}

/** The chaincode's limit of receipts per EraseReceipts transaction. */
export const MAX_ERASED_PER_TRANSACTION = 100;

/** A transaction's arguments as they travel: positional strings, and the transient map. */
export interface EncodedArguments {
  readonly arguments: string[];
  readonly transientData: Record<string, Uint8Array>;
}

const encoder = new TextEncoder();

function encodeOne(encoding: ArgumentEncoding, value: unknown): string {
  switch (encoding) {
    case 'text':
      return value as string;
    case 'number':
      return String(value);
    default:
      return JSON.stringify(value);
  }
}

/** Encodes a transaction's typed arguments the way its table row says. */
export function encodeArguments<N extends KycTransactionName>(
  name: N,
  args: Readonly<KycTransactions[N]['args']>,
): EncodedArguments {
  const positional: string[] = [];
  const transientData: Record<string, Uint8Array> = {};
  KYC_TRANSACTIONS[name].params.forEach((param, index) => {
    const value = encodeOne(param.encoding, (args as readonly unknown[])[index]);
    if (param.encoding === 'transient') transientData[param.name] = encoder.encode(value);
    else positional.push(value);
  });
  return { arguments: positional, transientData };
}
