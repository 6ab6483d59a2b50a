import { Context, Contract } from 'fabric-contract-api';
import { toCodedError, unknownTransactionError } from './guard';

type AroundTransaction = Contract['aroundTransaction'];

/**
 * Base of the project's contracts: every failure leaves a transaction as a KycError (unexpected ones as
 * KYC_INTERNAL), and an unknown function name is reported with a code instead of fabric-contract-api's text.
 * Holds no transactions itself, so fabric-shim's metadata lists only the subclass's decorated methods.
 */
export abstract class CodedContract extends Contract {
  override aroundTransaction(ctx: Context, fn: Parameters<AroundTransaction>[1], parameters: unknown): Promise<void> {
    // The base resolves to the transaction's result (typed void in fabric-contract-api); pass it through.
    return super.aroundTransaction(ctx, fn, parameters).catch((error: unknown) => {
      throw toCodedError(ctx, error);
    });
  }

  override unknownTransaction(ctx: Context): Promise<void> {
    return Promise.reject(unknownTransactionError(ctx));
  }
}
