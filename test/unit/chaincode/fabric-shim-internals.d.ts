/**
 * Types for the one fabric-shim internal the chaincode tests drive directly: the class that turns contract
 * classes into a chaincode and routes `fcn` names to transaction functions, as the chaincode server does.
 */
declare module 'fabric-shim/lib/contract-spi/chaincodefromcontract' {
  interface ShimResponse {
    readonly status: number;
    readonly message: string;
    readonly payload: Buffer;
  }

  interface TransactionMetadata {
    readonly name: string;
    readonly tag: readonly string[];
    readonly parameters?: readonly { readonly name: string; readonly schema: { readonly type?: string } }[];
    readonly returns?: { readonly type?: string };
  }

  class ChaincodeFromContract {
    constructor(
      contractClasses: readonly unknown[],
      serializers: unknown,
      metadata: object,
      title: string,
      version: string,
    );
    readonly defaultContractName: string;
    readonly metadata: {
      readonly contracts: Readonly<Record<string, { readonly transactions: TransactionMetadata[] }>>;
    };
    invokeFunctionality(stub: unknown): Promise<ShimResponse>;
    _splitFunctionName(fcn: string): { contractName: string; function: string };
  }

  export = ChaincodeFromContract;
}
