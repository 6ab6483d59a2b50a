import type { Context } from 'fabric-contract-api';
import { KycError, parseCodedMessage } from '../../../protocol/src';
import type { AssuranceLevel } from '../../../protocol/src';
import { toJson } from '../common/codec';

/** What `kyc` IsVerified answered, narrowed to what the ticket sale needs. */
export type KycVerdict =
  | {
      readonly verified: true;
      readonly certifier: string;
      readonly kind: string;
      readonly level: number;
      readonly version: number;
    }
  | { readonly verified: false; readonly reason: string };

function unavailable(detail: string): never {
  throw new KycError('KYC_UNAVAILABLE', detail);
}

/** Re-raises a coded error of the kyc chaincode as itself; anything else means kyc could not answer. */
function rethrow(message: string): never {
  const coded = parseCodedMessage(message);
  if (coded === undefined) {
    unavailable(`kyc chaincode failed: ${message.slice(0, 200)}`);
  }
  throw new KycError(coded.code, `kyc chaincode: ${coded.detail}`);
}

function parseAnswer(payload: Uint8Array | undefined, personId: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload ?? []).toString('utf8'));
  } catch {
    unavailable('kyc chaincode returned no JSON');
  }
  const answer = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (answer.personId !== personId) {
    unavailable('kyc chaincode answered about another person');
  }
  return answer;
}

function parseVerdict(payload: Uint8Array | undefined, personId: string): KycVerdict {
  const answer = parseAnswer(payload, personId);
  if (answer.verified === false && typeof answer.reason === 'string') {
    return { verified: false, reason: answer.reason };
  }
  const { certifier, kind, level, version } = answer;
  const wellFormed =
    typeof certifier === 'string' &&
    typeof kind === 'string' &&
    typeof level === 'number' &&
    typeof version === 'number';
  if (answer.verified !== true || !wellFormed) {
    unavailable('kyc chaincode returned an unexpected answer');
  }
  return { verified: true, certifier, kind, level, version };
}

/**
 * Asks the `kyc` chaincode on the same channel whether `personId` is verified. `IsVerified` needs no
 * `kyc:` prefix because the KYC contract is that chaincode's default contract. The call runs inside this
 * transaction (same proposal, same timestamp); its reads join this transaction's read set.
 *
 * @throws KycError the kyc chaincode's own coded error, or KYC_UNAVAILABLE when it could not answer.
 */
export async function askKyc(
  ctx: Context,
  chaincodeName: string,
  personId: string,
  minLevel: AssuranceLevel,
  trustedCertifiers: readonly string[],
): Promise<KycVerdict> {
  const args = ['IsVerified', personId, String(minLevel), toJson(trustedCertifiers)];
  let response;
  try {
    response = await ctx.stub.invokeChaincode(chaincodeName, args, '');
  } catch (error) {
    rethrow(error instanceof Error ? error.message : String(error));
  }
  if (response.status >= 400) {
    rethrow(response.message ?? '');
  }
  return parseVerdict(response.payload, personId);
}
