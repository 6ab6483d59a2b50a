import type { Context } from 'fabric-contract-api';
import { KycError, ROLE_ATTRIBUTE, ROLES } from '../../../protocol/src';
import type { OrgRole, Role } from '../../../protocol/src';
import { peerMsp } from '../common/peer';
import { readMember } from './consortium';

/**
 * Who may do what, decided from the caller's certificate (its MSP id and its fabric-ca `kyc.role`
 * attribute), the executing peer's MSP id, and the consortium's member record of the caller's organisation
 * on the ledger; never from an identifier the caller passes. Fails closed: an organisation without a member
 * record, or whose record holds another role or a status other than `active`, has no role, and an attribute
 * check that does not return exactly `true` denies.
 */

/** The fabric-ca ecert attribute that carries a user's KYC role. */
export { ROLE_ATTRIBUTE } from '../../../protocol/src';

/** The caller's MSP id as its certificate states it. */
export function callerMsp(ctx: Context): string {
  return ctx.clientIdentity.getMSPID();
}

/**
 * One state read: the caller's organisation's member record, which also puts it in the transaction's read
 * set, so a role change committed before this transaction invalidates it (MVCC).
 */
async function requireRole(ctx: Context, orgRole: OrgRole, officerRole: Role): Promise<string> {
  const msp = callerMsp(ctx);
  const member = await readMember(ctx, msp);
  if (member?.role !== orgRole || member.status === 'removed') {
    throw new KycError('KYC_FORBIDDEN', `organisation ${msp} does not hold the ${orgRole} role`);
  }
  if (member.status !== 'active') {
    throw new KycError('KYC_FORBIDDEN', `organisation ${msp} is ${member.status} as ${orgRole}`);
  }
  // assertAttributeValue returns a boolean (it does not throw); anything but exactly true denies.
  const hasRole: unknown = ctx.clientIdentity.assertAttributeValue(ROLE_ATTRIBUTE, officerRole);
  if (hasRole !== true) {
    throw new KycError('KYC_FORBIDDEN', `caller's certificate lacks ${ROLE_ATTRIBUTE}=${officerRole}`);
  }
  return msp;
}

/**
 * The caller's organisation must be an active certifier member and the caller carry `kyc.role=certifier`.
 *
 * @returns the caller's MSP id (the certifier that owns what it writes).
 * @throws KycError KYC_FORBIDDEN otherwise.
 */
export function requireCertifier(ctx: Context): Promise<string> {
  return requireRole(ctx, 'certifier', ROLES.certifier);
}

/**
 * The caller must belong to the organisation of the peer executing the transaction, so that what it reads
 * or writes in its organisation's implicit collection stays on its own peers.
 *
 * @throws KycError KYC_FORBIDDEN when the peer belongs to another organisation; KYC_INTERNAL when the
 *   chaincode server does not know its peer's organisation.
 */
export function requireOwnPeer(ctx: Context, msp: string): void {
  const executing = peerMsp(ctx);
  if (executing !== msp) {
    throw new KycError('KYC_FORBIDDEN', `caller of ${msp} must use its own organisation's peers, not ${executing}`);
  }
}

/**
 * The caller's organisation must be an active bank member, the caller carry `kyc.role=bank-verifier`, and
 * the transaction run on its own organisation's peer.
 *
 * @returns the caller's MSP id (the bank whose implicit collection is used).
 * @throws KycError KYC_FORBIDDEN otherwise.
 */
export async function requireBankOnOwnPeer(ctx: Context): Promise<string> {
  const msp = await requireRole(ctx, 'bank', ROLES.bankVerifier);
  requireOwnPeer(ctx, msp);
  return msp;
}
