import type { Context } from 'fabric-contract-api';
import {
  KycError,
  MAX_FOUNDING_MEMBERS,
  MEMBER_STATUSES,
  MSP_ID,
  ORG_ROLES,
  PROPOSAL_ID,
  requiredApprovals,
} from '../../../protocol/src';
import type { FoundingMember, Member, MemberStatus, OrgRole, RoleProposal } from '../../../protocol/src';
import { parseJsonArgument, requireMatch, requireObject } from '../common/args';
import { toJson } from '../common/codec';
import { txTime } from '../common/tx-time';
import type { TxTime } from '../common/tx-time';
import { listMembers, listProposals, readProposal, voters, writeMember, writeProposal } from './consortium';
import { requireOrgAdmin } from './org-admin';

/**
 * The consortium's rules: founding once, then changes of an organisation's role or status proposed and
 * approved by admins of active member organisations, applied when a majority of the active members
 * (`floor(voters / 2) + 1`) has approved. Approvals count only while their organisation is still a voter.
 * Every write here falls under the chaincode-level policy (MAJORITY Endorsement): a majority of
 * organisations' peers must also endorse each step.
 */

/** Longest FoundConsortium argument, in characters. */
export const MAX_MEMBERS_LENGTH = 8 * 1024;

function invalid(detail: string): never {
  throw new KycError('KYC_INVALID_ARGUMENT', detail);
}

function requireOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    invalid(`${name} must be one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function parseFoundingMembers(argument: unknown): FoundingMember[] {
  const value = parseJsonArgument(argument, 'members', MAX_MEMBERS_LENGTH);
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_FOUNDING_MEMBERS) {
    invalid(`members must be a JSON array of 1 to ${MAX_FOUNDING_MEMBERS} entries`);
  }
  const members = (value as unknown[]).map((item, index) => {
    const name = `members[${index}]`;
    const entry = requireObject(item, name, ['msp', 'role']);
    return {
      msp: requireMatch(entry.msp, `${name}.msp`, MSP_ID, 64),
      role: requireOneOf(entry.role, `${name}.role`, ORG_ROLES),
    };
  });
  if (new Set(members.map((member) => member.msp)).size !== members.length) {
    invalid('members names an organisation more than once');
  }
  return members;
}

/** The caller: an admin of an active member organisation, with the member list it was decided from. */
interface Voter {
  readonly msp: string;
  readonly members: readonly Member[];
  readonly voters: ReadonlySet<string>;
}

async function requireVoter(ctx: Context, msp: string): Promise<Voter> {
  const members = await listMembers(ctx);
  const active = voters(members);
  if (!active.has(msp)) {
    throw new KycError('KYC_FORBIDDEN', `organisation ${msp} is not an active member of the consortium`);
  }
  return { msp, members, voters: active };
}

/** Refuses a change after which no organisation could vote any more (nobody could ever undo it). */
function requireVoterLeft(proposal: RoleProposal, active: ReadonlySet<string>): void {
  const after = new Set(active);
  if (proposal.status === 'active') after.add(proposal.msp);
  else after.delete(proposal.msp);
  if (after.size === 0) {
    throw new KycError('KYC_CONFLICT', 'the change would leave the consortium without an active member');
  }
}

/**
 * Writes `proposal` with the approvals counted against the voters of now; when they reach the majority,
 * also writes the member record and marks the proposal applied.
 */
async function settle(ctx: Context, proposal: RoleProposal, voter: Voter, now: TxTime): Promise<RoleProposal> {
  const required = requiredApprovals(voter.voters.size);
  const counted = proposal.approvals.filter((msp) => voter.voters.has(msp)).length;
  let settled: RoleProposal = { ...proposal, required };
  if (counted >= required) {
    requireVoterLeft(proposal, voter.voters);
    const { msp, role, status, proposalId } = proposal;
    await writeMember(ctx, { msp, role, status, since: now.iso, proposalId });
    settled = { ...settled, applied: true, appliedAt: now.iso };
  }
  await writeProposal(ctx, settled);
  return settled;
}

/**
 * FoundConsortium: records the founding members, each active. Only while no member is recorded at all, and
 * only by an admin of one of the organisations it names.
 *
 * @param membersArgument JSON `[{ "msp": "CertifierMSP", "role": "certifier" }, …]`.
 * @returns the consortium `{ members, pending: [] }` as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT, KYC_CONFLICT (already founded).
 */
export async function foundConsortium(ctx: Context, membersArgument: unknown): Promise<string> {
  const caller = requireOrgAdmin(ctx);
  const founding = parseFoundingMembers(membersArgument);
  if (!founding.some((member) => member.msp === caller)) {
    throw new KycError('KYC_FORBIDDEN', `organisation ${caller} must be one of the founding members`);
  }
  if ((await listMembers(ctx)).length > 0) {
    throw new KycError('KYC_CONFLICT', 'the consortium is already founded');
  }
  const now = txTime(ctx);
  const members: Member[] = founding
    .map(({ msp, role }) => ({ msp, role, status: 'active' as const, since: now.iso }))
    .sort((a, b) => (a.msp < b.msp ? -1 : 1));
  for (const member of members) {
    await writeMember(ctx, member);
  }
  return toJson({ members, pending: [] });
}

/**
 * ProposeRoleChange: an admin of an active member organisation proposes that `msp` hold `role` with `status`
 * (a new organisation joins the same way). The proposer's organisation is the first approval; when that
 * alone is a majority (a consortium of one), the change applies at once.
 *
 * @returns the proposal as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT, KYC_CONFLICT (the id exists; `msp` already holds
 *   exactly this role and status; the change would leave no active member).
 */
export async function proposeRoleChange(
  ctx: Context,
  proposalIdArgument: unknown,
  mspArgument: unknown,
  roleArgument: unknown,
  statusArgument: unknown,
): Promise<string> {
  const caller = requireOrgAdmin(ctx);
  const proposalId = requireMatch(proposalIdArgument, 'proposalId', PROPOSAL_ID, 64);
  const msp = requireMatch(mspArgument, 'msp', MSP_ID, 64);
  const role = requireOneOf<OrgRole>(roleArgument, 'role', ORG_ROLES);
  const status = requireOneOf<MemberStatus>(statusArgument, 'status', MEMBER_STATUSES);
  const now = txTime(ctx);
  const voter = await requireVoter(ctx, caller);
  if ((await readProposal(ctx, proposalId)) !== undefined) {
    throw new KycError('KYC_CONFLICT', `proposal ${proposalId} exists`);
  }
  const current = voter.members.find((member) => member.msp === msp);
  if (current?.role === role && current.status === status) {
    throw new KycError('KYC_CONFLICT', `organisation ${msp} already holds the ${role} role with status ${status}`);
  }
  const proposal: RoleProposal = {
    proposalId,
    msp,
    role,
    status,
    proposedBy: caller,
    approvals: [caller],
    required: requiredApprovals(voter.voters.size),
    applied: false,
  };
  requireVoterLeft(proposal, voter.voters);
  return toJson(await settle(ctx, proposal, voter, now));
}

/**
 * ApproveRoleChange: an admin of an active member organisation approves a pending proposal for its
 * organisation. Only approvals of organisations that are active members now count; when they reach
 * `floor(voters / 2) + 1`, the change applies.
 *
 * @returns the proposal as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT, KYC_NOT_FOUND, KYC_CONFLICT (applied already;
 *   approved already by the caller's organisation; the change would leave no active member).
 */
export async function approveRoleChange(ctx: Context, proposalIdArgument: unknown): Promise<string> {
  const caller = requireOrgAdmin(ctx);
  const proposalId = requireMatch(proposalIdArgument, 'proposalId', PROPOSAL_ID, 64);
  const now = txTime(ctx);
  const voter = await requireVoter(ctx, caller);
  const proposal = await readProposal(ctx, proposalId);
  if (proposal === undefined) {
    throw new KycError('KYC_NOT_FOUND', `no proposal ${proposalId}`);
  }
  if (proposal.applied) {
    throw new KycError('KYC_CONFLICT', `proposal ${proposalId} is already applied`);
  }
  if (proposal.approvals.includes(caller)) {
    throw new KycError('KYC_CONFLICT', `proposal ${proposalId} is already approved by ${caller}`);
  }
  const approvals = [...proposal.approvals, caller].sort();
  return toJson(await settle(ctx, { ...proposal, approvals }, voter, now));
}

/**
 * GetConsortium: every member (sorted by MSP id) and the proposals not applied (by proposal id), each with
 * the approvals it needs among the voters of now.
 *
 * @returns `{ members, pending }` as deterministic JSON.
 */
export async function getConsortium(ctx: Context): Promise<string> {
  const members = await listMembers(ctx);
  const required = requiredApprovals(voters(members).size);
  const pending = (await listProposals(ctx))
    .filter((proposal) => !proposal.applied)
    .map((proposal) => ({ ...proposal, required }));
  return toJson({ members, pending });
}
