/**
 * The consortium's governance on the ledger (docs/contract.md, "Consortium"): which organisation holds which
 * role, and the proposals that change it. Organisation admins propose and approve; a change applies when a
 * majority of the active member organisations has approved it.
 */

/** The role an organisation holds in the consortium (its officers carry the matching `kyc.role`). */
export const ORG_ROLES = ['certifier', 'bank'] as const;
export type OrgRole = (typeof ORG_ROLES)[number];

/** A member organisation's standing: only `active` members exercise their role and vote. */
export const MEMBER_STATUSES = ['active', 'suspended', 'removed'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** Proposal ids: chosen by the proposer, 1..64 characters. */
export const PROPOSAL_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Most organisations FoundConsortium accepts. */
export const MAX_FOUNDING_MEMBERS = 32;

/** An organisation as FoundConsortium names it. */
export interface FoundingMember {
  readonly msp: string;
  readonly role: OrgRole;
}

/** A member organisation as the ledger records it. */
export interface Member {
  readonly msp: string;
  readonly role: OrgRole;
  readonly status: MemberStatus;
  /** Transaction time of the founding or of the change that set this record. */
  readonly since: string;
  /** The proposal that set this record; absent for founding members. */
  readonly proposalId?: string;
}

/** A proposed change of one organisation's role or status, and who approved it. */
export interface RoleProposal {
  readonly proposalId: string;
  readonly msp: string;
  readonly role: OrgRole;
  readonly status: MemberStatus;
  readonly proposedBy: string;
  /** MSP ids of the organisations whose admins approved, sorted; the proposer's first approval included. */
  readonly approvals: readonly string[];
  /** Approvals needed: a majority of the active members, `floor(voters / 2) + 1`. */
  readonly required: number;
  readonly applied: boolean;
  readonly appliedAt?: string;
}

/** GetConsortium's answer (also FoundConsortium's). */
export interface Consortium {
  /** Sorted by MSP id. */
  readonly members: readonly Member[];
  /** Proposals not applied, in proposal-id order. */
  readonly pending: readonly RoleProposal[];
}

/** Approvals a change needs among `voters` active member organisations: a strict majority. */
export function requiredApprovals(voters: number): number {
  return Math.floor(voters / 2) + 1;
}
