import type { Context } from 'fabric-contract-api';
import { KycError } from '../../../protocol/src';

/**
 * Turns whatever a transaction threw into a coded error. Fabric hands only `error.message` to the client, so
 * a KycError passes through unchanged, and anything else (a stub failure, a bug) becomes KYC_INTERNAL with
 * the transaction id for the operator and no detail for the client; the original goes to the chaincode log.
 */
export function toCodedError(ctx: Context, error: unknown): KycError {
  if (error instanceof KycError) {
    return error;
  }
  const txId = ctx.stub.getTxID();
  ctx.logging.getLogger('guard').error(`[${txId}] unexpected failure: ${String(error)}`);
  return new KycError('KYC_INTERNAL', `unexpected failure in transaction ${txId}`, { cause: error });
}

/**
 * The error for a function name the contract does not define.
 */
export function unknownTransactionError(ctx: Context): KycError {
  const { fcn } = ctx.stub.getFunctionAndParameters();
  return new KycError('KYC_INVALID_ARGUMENT', `unknown transaction '${fcn.slice(0, 64)}'`);
}
