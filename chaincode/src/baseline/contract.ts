import { Context, Contract, Info, Param, Returns, Transaction } from 'fabric-contract-api';

/**
 * The `baseline` contract: a trivial put/get that `./kyc bench` measures in the same run as the kyc contract,
 * on the same chaincode-as-a-service set-up and endorsement policy, so each kyc row can be shown as a ratio of
 * what Fabric itself does on this machine (docs/performance.md). It checks nothing on purpose.
 */
@Info({ title: 'baseline', description: 'A trivial put/get contract: the benchmark baseline' })
export class BaselineContract extends Contract {
  constructor() {
    super('baseline');
  }

  @Transaction()
  @Param('key', 'string', 'state key')
  @Param('value', 'string', 'value to store')
  async Put(ctx: Context, key: string, value: string): Promise<void> {
    await ctx.stub.putState(key, Buffer.from(value));
  }

  @Transaction(false)
  @Param('key', 'string', 'state key')
  @Returns('string')
  async Get(ctx: Context, key: string): Promise<string> {
    return Buffer.from(await ctx.stub.getState(key)).toString();
  }
}
