import '../quiet-logs';
import assert from 'node:assert/strict';
import { BaselineContract } from '../../../../chaincode/src/baseline/contract';
import { CALLERS, FakeLedger } from '../fakes';

describe('baseline: the trivial put/get the benchmarks compare with', () => {
  it('puts a value that a later get reads back, and gets the empty string for a key never put', async () => {
    const ledger = new FakeLedger();
    const contract = new BaselineContract();
    const caller = CALLERS.certifierOfficer;
    await ledger.submit(ledger.tx({ caller, peerMsp: caller.mspId }), (ctx) => contract.Put(ctx, 'k1', 'value one'));
    const read = (key: string) =>
      ledger.evaluate(ledger.tx({ caller, peerMsp: caller.mspId }), (ctx) => contract.Get(ctx, key));
    assert.equal(await read('k1'), 'value one');
    assert.equal(await read('never-put'), '');
  });
});
