import type { Context } from 'fabric-contract-api';
import { KycError, MSP_ID, ROLE_ATTRIBUTE, ROLES } from '../../../protocol/src';
import { peerMsp } from '../common/peer';

/**
 * Who may do what, decided only from the caller's certificate (its MSP id and its fabric-ca `kyc.role`
 * attribute) and the executing peer's MSP id, never from an identifier the caller passes. Fails closed: an
 * unset or empty role list means nobody has the role, and an attribute check that does not return exactly
 * `true` denies.
 */

/** The fabric-ca ecert attribute that carries a user's KYC role. */
export { ROLE_ATTRIBUTE } from '../../../protocol/src';

/** Which organisations hold which role, read once from the chaincode server's environment. */
export interface AccessPolicy {
  readonly certifierMsps: ReadonlySet<string>;
  readonly bankMsps: ReadonlySet<string>;
}

/** The environment variables the policy comes from. */
export interface AccessEnvironment {
  readonly KYC_CERTIFIER_MSPS?: string | undefined;
  readonly KYC_BANK_MSPS?: string | undefined;
}

/** Splits a comma-separated MSP list; blanks and entries that are not MSP ids are dropped (fail closed). */
function mspSet(list: string | undefined): ReadonlySet<string> {
  const entries = (list ?? '').split(',').map((entry) => entry.trim());
  return new Set(entries.filter((entry) => MSP_ID.test(entry)));
}

/**
 * Reads `KYC_CERTIFIER_MSPS` and `KYC_BANK_MSPS` (comma-separated MSP ids).
 *
 * @example accessPolicyFromEnv({ KYC_CERTIFIER_MSPS: 'CertifierMSP', KYC_BANK_MSPS: 'BankMSP' })
 */
export function accessPolicyFromEnv(env: Readonly<AccessEnvironment>): AccessPolicy {
  return { certifierMsps: mspSet(env.KYC_CERTIFIER_MSPS), bankMsps: mspSet(env.KYC_BANK_MSPS) };
}

/** The caller's MSP id as its certificate states it. */
export function callerMsp(ctx: Context): string {
  return ctx.clientIdentity.getMSPID();
}

function requireRole(ctx: Context, orgs: ReadonlySet<string>, role: string): string {
  const msp = callerMsp(ctx);
  if (!orgs.has(msp)) {
    throw new KycError('KYC_FORBIDDEN', `organisation ${msp} does not hold the ${role} role`);
  }
  // assertAttributeValue returns a boolean (it does not throw); anything but exactly true denies.
  const hasRole: unknown = ctx.clientIdentity.assertAttributeValue(ROLE_ATTRIBUTE, role);
  if (hasRole !== true) {
    throw new KycError('KYC_FORBIDDEN', `caller's certificate lacks ${ROLE_ATTRIBUTE}=${role}`);
  }
  return msp;
}

/**
 * The caller must belong to a certifier organisation and carry `kyc.role=certifier`.
 *
 * @returns the caller's MSP id (the certifier that owns what it writes).
 * @throws KycError KYC_FORBIDDEN otherwise.
 */
export function requireCertifier(ctx: Context, policy: AccessPolicy): string {
  return requireRole(ctx, policy.certifierMsps, ROLES.certifier);
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
 * The caller must belong to a bank organisation, carry `kyc.role=bank-verifier`, and run on its own peer.
 *
 * @returns the caller's MSP id (the bank whose implicit collection is used).
 * @throws KycError KYC_FORBIDDEN otherwise.
 */
export function requireBankOnOwnPeer(ctx: Context, policy: AccessPolicy): string {
  const msp = requireRole(ctx, policy.bankMsps, ROLES.bankVerifier);
  requireOwnPeer(ctx, msp);
  return msp;
}
