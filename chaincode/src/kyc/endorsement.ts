import { KeyEndorsementPolicy } from 'fabric-shim';
import type { Context } from 'fabric-contract-api';

/** fabric-shim's role string for peers; its `ENDORSER_ROLES` enum is declared in the types but not exported. */
const PEER_ROLE = 'PEER';

/**
 * Sets a key-level endorsement policy: from now on, a change to `key` needs an endorsement from a peer of
 * each of `orgs` (whatever the chaincode-level policy says).
 *
 * @throws Error from fabric-shim when an MSP id cannot be encoded.
 */
export async function setKeyEndorsers(ctx: Context, key: string, ...orgs: readonly string[]): Promise<void> {
  const policy = new KeyEndorsementPolicy();
  policy.addOrgs(PEER_ROLE, ...orgs);
  await ctx.stub.setStateValidationParameter(key, policy.getPolicy());
}
