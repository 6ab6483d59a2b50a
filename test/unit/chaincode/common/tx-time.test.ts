import '../quiet-logs';
import assert from 'node:assert/strict';
import type { Context } from 'fabric-contract-api';
import { timestampSeconds, txTime } from '../../../../chaincode/src/common/tx-time';
import { CALLERS, FakeLedger } from '../fakes';

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: Error) => error.message.startsWith(`${code}: `));
}

describe('chaincode/common/tx-time', () => {
  describe('transaction time', () => {
    it('reads the proposal timestamp, never the wall clock', () => {
      const ledger = new FakeLedger('2030-05-06T07:08:09.123Z');
      const tx = ledger.tx({ caller: CALLERS.outsider });
      assert.deepEqual(txTime(tx.ctx), {
        seconds: Date.UTC(2030, 4, 6, 7, 8, 9) / 1000,
        millis: Date.UTC(2030, 4, 6, 7, 8, 9, 123),
        iso: '2030-05-06T07:08:09.123Z',
      });
    });

    it('accepts Long and number seconds and refuses anything else', () => {
      assert.equal(timestampSeconds(12), 12);
      assert.equal(timestampSeconds({ toNumber: () => 34 }), 34);
      throwsCode(() => timestampSeconds('56'), 'KYC_INTERNAL');
      const ctx = { stub: { getTxTimestamp: () => ({ seconds: Number.MAX_VALUE, nanos: 0 }) } } as unknown as Context;
      throwsCode(() => txTime(ctx), 'KYC_INTERNAL');
    });
  });
});
