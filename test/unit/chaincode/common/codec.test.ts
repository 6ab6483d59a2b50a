import '../quiet-logs';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { marshal, toJson, unmarshal } from '../../../../chaincode/src/common/codec';

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: Error) => error.message.startsWith(`${code}: `));
}

describe('chaincode/common/codec', () => {
  describe('codec', () => {
    it('sorts keys at every depth, keeps array order, drops undefined', () => {
      assert.equal(
        toJson({ b: 1, a: { d: [3, 1, { z: 1, y: 2 }], c: undefined }, é: 'x' }),
        '{"a":{"d":[3,1,{"y":2,"z":1}]},"b":1,"é":"x"}',
      );
    });

    it('is independent of property insertion order (property)', () => {
      fc.assert(
        fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (object) => {
          const reversed = Object.fromEntries(Object.entries(object).reverse());
          assert.equal(toJson(object), toJson(reversed));
          assert.deepEqual(unmarshal(marshal(object), 'x'), JSON.parse(JSON.stringify(object)));
        }),
      );
    });

    it('reports stored bytes that are not UTF-8 JSON as KYC_INTERNAL', () => {
      throwsCode(() => unmarshal(Buffer.from('{'), 'thing'), 'KYC_INTERNAL');
      throwsCode(() => unmarshal(Buffer.from([0x22, 0xff, 0x22]), 'thing'), 'KYC_INTERNAL');
    });
  });
});
