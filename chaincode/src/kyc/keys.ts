import type { Context } from 'fabric-contract-api';

/**
 * Ledger keys of the kyc chaincode. Composite keys (fabric-shim's `\u0000type\u0000attr\u0000…` form) keep
 * one person's records adjacent, so range reads return them in a fixed key order.
 */
export const OBJECT_TYPE = {
  /** `[personId, certifierMsp, kind]`, public state: the attestation record. */
  attestation: 'kyc.attestation',
  /** `[requestId]`, public state: a certification request that has been used. */
  request: 'kyc.request',
  /** `[registrationId]`, the bank's implicit collection: a consumed registration. */
  registration: 'kyc.registration',
  /** `[personId, registrationId]`, the bank's implicit collection: a verification receipt. */
  receipt: 'kyc.receipt',
  /** `[msp]`, public state: a member organisation of the consortium, its role and status. */
  member: 'kyc.consortium.member',
  /** `[proposalId]`, public state: a proposed change of a member's role or status, with its approvals. */
  proposal: 'kyc.consortium.proposal',
} as const;

/** The key of one certifier's attestation of one kind about one person. */
export function attestationKey(ctx: Context, personId: string, certifier: string, kind: string): string {
  return ctx.stub.createCompositeKey(OBJECT_TYPE.attestation, [personId, certifier, kind]);
}

/** The marker key of a used certification request (`DecodedJws.id`). */
export function requestKey(ctx: Context, requestId: string): string {
  return ctx.stub.createCompositeKey(OBJECT_TYPE.request, [requestId]);
}

/** The marker key of a consumed registration. */
export function registrationKey(ctx: Context, registrationId: string): string {
  return ctx.stub.createCompositeKey(OBJECT_TYPE.registration, [registrationId]);
}

/** The key of a bank's receipt for one registration of one person. */
export function receiptKey(ctx: Context, personId: string, registrationId: string): string {
  return ctx.stub.createCompositeKey(OBJECT_TYPE.receipt, [personId, registrationId]);
}

/** The key of a member organisation's record. */
export function memberKey(ctx: Context, msp: string): string {
  return ctx.stub.createCompositeKey(OBJECT_TYPE.member, [msp]);
}

/** The key of a role-change proposal. */
export function proposalKey(ctx: Context, proposalId: string): string {
  return ctx.stub.createCompositeKey(OBJECT_TYPE.proposal, [proposalId]);
}

/** An organisation's implicit private data collection, which exists on every channel without definition. */
export function implicitCollection(msp: string): string {
  return `_implicit_org_${msp}`;
}
