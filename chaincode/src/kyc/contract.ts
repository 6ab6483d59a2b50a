import { Context, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { CodedContract } from '../common/coded-contract';
import { certify, renew } from './certify';
import { approveRoleChange, foundConsortium, getConsortium, proposeRoleChange } from './governance';
import { isVerified } from './is-verified';
import { verifyPresentation } from './presentation';
import { getAttestation, getAttestations, getHistory } from './queries';
import { eraseReceipts, getReceipts, getUsage } from './receipts';
import { revoke } from './revoke';

/**
 * The `kyc` contract: the list of transactions, each delegating to its module. Every transaction returns
 * deterministic JSON text (see docs/contract.md) and fails with a message that starts with a KYC error code.
 * It is the chaincode's default contract, so `IsVerified` and `kyc:IsVerified` name the same function.
 */
@Info({ title: 'kyc', description: 'KYC attestations, verifications, receipts, usage and the consortium' })
export class KycContract extends CodedContract {
  constructor() {
    super('kyc');
  }

  @Transaction()
  @Param('personId', 'string', "the person's did:key")
  @Param('requestJws', 'string', "the person's certification request (compact JWS)")
  @Param('commitment', 'string', 'JSON { schema, level, digests, validFrom, validUntil }')
  @Returns('string')
  async Certify(ctx: Context, personId: string, requestJws: string, commitment: string): Promise<string> {
    return certify(ctx, { personId, requestJws, commitment });
  }

  @Transaction()
  @Param('personId', 'string', "the person's did:key")
  @Param('kind', 'string', 'the kind of the existing attestation')
  @Param('requestJws', 'string', "the person's new certification request (compact JWS)")
  @Param('commitment', 'string', 'JSON { schema, level, digests, validFrom, validUntil }')
  @Returns('string')
  async Renew(ctx: Context, personId: string, kind: string, requestJws: string, commitment: string): Promise<string> {
    return renew(ctx, kind, { personId, requestJws, commitment });
  }

  @Transaction()
  @Param('personId', 'string', "the person's did:key")
  @Param('kind', 'string', 'the kind of the attestation')
  @Param('reason', 'string', 'data-changed | fraud-suspected | person-request | certifier-error | other')
  @Returns('string')
  async Revoke(ctx: Context, personId: string, kind: string, reason: string): Promise<string> {
    return revoke(ctx, personId, kind, reason);
  }

  @Transaction(false)
  @Param('personId', 'string', "the person's did:key")
  @Param('certifier', 'string', "the certifier's MSP id")
  @Param('kind', 'string', 'the kind of the attestation')
  @Returns('string')
  async GetAttestation(ctx: Context, personId: string, certifier: string, kind: string): Promise<string> {
    return getAttestation(ctx, personId, certifier, kind);
  }

  @Transaction(false)
  @Param('personId', 'string', "the person's did:key")
  @Returns('string')
  async GetAttestations(ctx: Context, personId: string): Promise<string> {
    return getAttestations(ctx, personId);
  }

  @Transaction(false)
  @Param('personId', 'string', "the person's did:key")
  @Param('certifier', 'string', "the certifier's MSP id")
  @Param('kind', 'string', 'the kind of the attestation')
  @Returns('string')
  async GetHistory(ctx: Context, personId: string, certifier: string, kind: string): Promise<string> {
    return getHistory(ctx, personId, certifier, kind);
  }

  @Transaction(false)
  @Param('personId', 'string', "the person's did:key")
  @Param('minLevel', 'string', "'1', '2' or '3'")
  @Param('trustedCertifiers', 'string', 'JSON array of certifier MSP ids')
  @Returns('string')
  async IsVerified(ctx: Context, personId: string, minLevel: string, trustedCertifiers: string): Promise<string> {
    return isVerified(ctx, personId, minLevel, trustedCertifiers);
  }

  @Transaction()
  @Param('registrationId', 'string', "the bank's registration id; the presentation travels in the transient map")
  @Returns('string')
  async VerifyPresentation(ctx: Context, registrationId: string): Promise<string> {
    return verifyPresentation(ctx, registrationId);
  }

  @Transaction()
  @Param('personId', 'string', "the person's did:key")
  @Param('registrationIds', 'string', 'JSON array of the registration ids whose receipts to purge (from GetReceipts)')
  @Returns('string')
  async EraseReceipts(ctx: Context, personId: string, registrationIds: string): Promise<string> {
    return eraseReceipts(ctx, personId, registrationIds);
  }

  @Transaction(false)
  @Param('personId', 'string', "the person's did:key")
  @Returns('string')
  async GetReceipts(ctx: Context, personId: string): Promise<string> {
    return getReceipts(ctx, personId);
  }

  @Transaction(false)
  @Param('from', 'string', "ISO-8601 UTC start (inclusive), or '' for open")
  @Param('to', 'string', "ISO-8601 UTC end (exclusive), or '' for open")
  @Returns('string')
  async GetUsage(ctx: Context, from: string, to: string): Promise<string> {
    return getUsage(ctx, from, to);
  }

  @Transaction()
  @Param('members', 'string', 'JSON [{ "msp": "CertifierMSP", "role": "certifier" }, …]: the founding organisations')
  @Returns('string')
  async FoundConsortium(ctx: Context, members: string): Promise<string> {
    return foundConsortium(ctx, members);
  }

  @Transaction()
  @Param('proposalId', 'string', 'a new proposal id, [A-Za-z0-9._-]{1,64}')
  @Param('msp', 'string', 'the MSP id of the organisation whose role changes')
  @Param('role', 'string', 'certifier | bank')
  @Param('status', 'string', 'active | suspended | removed')
  @Returns('string')
  async ProposeRoleChange(
    ctx: Context,
    proposalId: string,
    msp: string,
    role: string,
    status: string,
  ): Promise<string> {
    return proposeRoleChange(ctx, proposalId, msp, role, status);
  }

  @Transaction()
  @Param('proposalId', 'string', "the pending proposal to approve for the caller's organisation")
  @Returns('string')
  async ApproveRoleChange(ctx: Context, proposalId: string): Promise<string> {
    return approveRoleChange(ctx, proposalId);
  }

  @Transaction(false)
  @Returns('string')
  async GetConsortium(ctx: Context): Promise<string> {
    return getConsortium(ctx);
  }
}
