import '../quiet-logs';
import assert from 'node:assert/strict';
import type { Context } from 'fabric-contract-api';
import { requireOwnPeer } from '../../../../chaincode/src/kyc/access';
import { peerMsp } from '../../../../chaincode/src/common/peer';

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: Error) => error.message.startsWith(`${code}: `));
}

describe('chaincode/kyc/access', () => {
  describe("the executing peer's organisation", () => {
    it('fails closed with a message naming CORE_PEER_LOCALMSPID when the server lacks it', () => {
      const ctx = {
        stub: {
          getMspID: () => {
            throw new Error('CORE_PEER_LOCALMSPID is unset in chaincode process');
          },
        },
      } as unknown as Context;
      assert.throws(
        () => peerMsp(ctx),
        (error: Error) => error.message.startsWith('KYC_INTERNAL: ') && error.message.includes('CORE_PEER_LOCALMSPID'),
      );
      throwsCode(() => {
        requireOwnPeer(ctx, 'BankMSP');
      }, 'KYC_INTERNAL');
    });
  });
});
