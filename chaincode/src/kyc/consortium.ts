import type { Context } from 'fabric-contract-api';
import { KycError, MEMBER_STATUSES, MSP_ID, ORG_ROLES, PROPOSAL_ID } from '../../../protocol/src';
import type { Member, RoleProposal } from '../../../protocol/src';
import { marshal, unmarshal } from '../common/codec';
import { OBJECT_TYPE, memberKey, proposalKey } from './keys';

/**
 * The consortium's state in the kyc namespace: member organisations (`kyc.consortium.member`) and role-change
 * proposals (`kyc.consortium.proposal`), read and written through the one codec, each value checked on the
 * way back. No key-level endorsement is ever set on these keys: they fall under the chaincode-level policy
 * (the channel's MAJORITY Endorsement), so a change also needs a majority of organisations' peers.
 */

export type { Member, RoleProposal } from '../../../protocol/src';

type FieldCheck = (value: unknown) => boolean;

const isString: FieldCheck = (value) => typeof value === 'string';
const isMsp: FieldCheck = (value) => typeof value === 'string' && MSP_ID.test(value);
const oneOf =
  (allowed: readonly string[]): FieldCheck =>
  (value) =>
    typeof value === 'string' && allowed.includes(value);
const optional =
  (check: FieldCheck): FieldCheck =>
  (value) =>
    value === undefined || check(value);

const MEMBER_FIELDS: Readonly<Record<keyof Member, FieldCheck>> = {
  msp: isMsp,
  role: oneOf(ORG_ROLES),
  status: oneOf(MEMBER_STATUSES),
  since: isString,
  proposalId: optional(isString),
};

const PROPOSAL_FIELDS: Readonly<Record<keyof RoleProposal, FieldCheck>> = {
  proposalId: (value) => typeof value === 'string' && PROPOSAL_ID.test(value),
  msp: isMsp,
  role: oneOf(ORG_ROLES),
  status: oneOf(MEMBER_STATUSES),
  proposedBy: isMsp,
  approvals: (value) => Array.isArray(value) && value.every(isMsp),
  required: Number.isSafeInteger,
  applied: (value) => typeof value === 'boolean',
  appliedAt: optional(isString),
};

/** True when `value` is an object with exactly the fields of `fields` (optional ones may be absent), each valid. */
function hasShape(value: unknown, fields: Readonly<Record<string, FieldCheck>>): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return (
    Object.keys(record).every((key) => key in fields) &&
    Object.entries(fields).every(([key, check]) => check(record[key]))
  );
}

/** Reads back a value this chaincode wrote, checking its shape. @throws KycError KYC_INTERNAL otherwise. */
function parseStored(bytes: Uint8Array, what: string, fields: Readonly<Record<string, FieldCheck>>): unknown {
  const value = unmarshal(bytes, what);
  if (!hasShape(value, fields)) {
    throw new KycError('KYC_INTERNAL', `stored ${what} has an unexpected shape`);
  }
  return value;
}

const parseMember = (bytes: Uint8Array): Member => parseStored(bytes, 'member', MEMBER_FIELDS) as Member;
const parseProposal = (bytes: Uint8Array): RoleProposal =>
  parseStored(bytes, 'proposal', PROPOSAL_FIELDS) as RoleProposal;

/**
 * The member record of `msp`, or `undefined` when the organisation was never a member. One point read, which
 * puts the key in the transaction's read set: a concurrent change of the member invalidates the transaction.
 *
 * @throws KycError KYC_INTERNAL when the stored value is not a member record.
 */
export async function readMember(ctx: Context, msp: string): Promise<Member | undefined> {
  const bytes = await ctx.stub.getState(memberKey(ctx, msp));
  return bytes.length === 0 ? undefined : parseMember(bytes);
}

/** Writes a member record under its organisation's key. */
export async function writeMember(ctx: Context, member: Member): Promise<void> {
  await ctx.stub.putState(memberKey(ctx, member.msp), marshal(member));
}

/**
 * Every member record, in key order (by MSP id), removed and suspended members included.
 *
 * @throws KycError KYC_INTERNAL when a stored value is not a member record.
 */
export async function listMembers(ctx: Context): Promise<Member[]> {
  const members: Member[] = [];
  for await (const entry of ctx.stub.getStateByPartialCompositeKey(OBJECT_TYPE.member, [])) {
    members.push(parseMember(entry.value));
  }
  return members;
}

/** The organisations that vote on role changes: the active members, whatever their role. */
export function voters(members: readonly Member[]): ReadonlySet<string> {
  return new Set(members.filter((member) => member.status === 'active').map((member) => member.msp));
}

/**
 * The proposal `proposalId`, or `undefined` when there is none.
 *
 * @throws KycError KYC_INTERNAL when the stored value is not a proposal.
 */
export async function readProposal(ctx: Context, proposalId: string): Promise<RoleProposal | undefined> {
  const bytes = await ctx.stub.getState(proposalKey(ctx, proposalId));
  return bytes.length === 0 ? undefined : parseProposal(bytes);
}

/** Writes a proposal under its id's key. */
export async function writeProposal(ctx: Context, proposal: RoleProposal): Promise<void> {
  await ctx.stub.putState(proposalKey(ctx, proposal.proposalId), marshal(proposal));
}

/**
 * Every proposal, applied or not, in key order (by proposal id).
 *
 * @throws KycError KYC_INTERNAL when a stored value is not a proposal.
 */
export async function listProposals(ctx: Context): Promise<RoleProposal[]> {
  const proposals: RoleProposal[] = [];
  for await (const entry of ctx.stub.getStateByPartialCompositeKey(OBJECT_TYPE.proposal, [])) {
    proposals.push(parseProposal(entry.value));
  }
  return proposals;
}

/**
 * Which of `msps` are active certifier members now: one point read per organisation (each joins the read
 * set, so a concurrent suspension invalidates the transaction), never the whole member list.
 */
export async function activeCertifiers(ctx: Context, msps: Iterable<string>): Promise<ReadonlySet<string>> {
  const active = new Set<string>();
  for (const msp of new Set(msps)) {
    const member = await readMember(ctx, msp);
    if (member?.role === 'certifier' && member.status === 'active') active.add(msp);
  }
  return active;
}
