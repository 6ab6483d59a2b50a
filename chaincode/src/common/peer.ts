import type { Context } from 'fabric-contract-api';
import { KycError } from '../../../protocol/src';

/**
 * The MSP id of the organisation whose peer executes the transaction. fabric-shim reads it from the chaincode
 * process's `CORE_PEER_LOCALMSPID`: a peer sets it for chaincode it launches, but a chaincode-as-a-service
 * process must be given it by whoever starts the server. Without it nothing can be decided about "own peer",
 * so the transaction fails (closed) with a message that names the missing setting.
 *
 * @throws KycError KYC_INTERNAL when the chaincode server lacks CORE_PEER_LOCALMSPID.
 */
export function peerMsp(ctx: Context): string {
  try {
    return ctx.stub.getMspID();
  } catch (cause) {
    throw new KycError('KYC_INTERNAL', 'the chaincode server is not configured with CORE_PEER_LOCALMSPID', {
      cause,
    });
  }
}
