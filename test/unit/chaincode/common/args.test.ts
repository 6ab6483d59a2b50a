import '../quiet-logs';
import assert from 'node:assert/strict';
import {
  parseMspListArgument,
  requireLevel,
  requireObject,
  requirePersonId,
} from '../../../../chaincode/src/common/args';
import { rejectsWithCode } from '../fakes';
import { newPerson } from '../fixtures';

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: Error) => error.message.startsWith(`${code}: `));
}

describe('chaincode/common/args', () => {
  describe('argument checks', () => {
    it('levels: numbers in JSON, digit strings as arguments', () => {
      assert.equal(requireLevel(3, 'l'), 3);
      assert.equal(requireLevel('1', 'l'), 1);
      for (const value of [0, 4, 2.5, '02', ' 2', 'two', null]) {
        throwsCode(() => requireLevel(value, 'l'), 'KYC_INVALID_ARGUMENT');
      }
    });

    it('objects: no unknown and no missing fields', () => {
      assert.deepEqual(requireObject({ a: 1 }, 'o', ['a'], ['b']), { a: 1 });
      throwsCode(() => requireObject({ a: 1, c: 2 }, 'o', ['a'], ['b']), 'KYC_INVALID_ARGUMENT');
      throwsCode(() => requireObject({ b: 1 }, 'o', ['a'], ['b']), 'KYC_INVALID_ARGUMENT');
      throwsCode(() => requireObject([], 'o', []), 'KYC_INVALID_ARGUMENT');
    });

    it('MSP lists: a JSON array of 1..32 distinct MSP ids', () => {
      assert.deepEqual(parseMspListArgument('["A","B"]', 'l'), ['A', 'B']);
      for (const value of ['[]', '["A","A"]', '[1]', '"A"', 'x'.repeat(5000)]) {
        throwsCode(() => parseMspListArgument(value, 'l'), 'KYC_INVALID_ARGUMENT');
      }
    });

    it('person ids: a did:key naming a P-256 point', () => {
      const person = newPerson();
      assert.equal(requirePersonId(person.did).personId, person.did);
      throwsCode(() => requirePersonId(`${person.did}x`), 'KYC_INVALID_ARGUMENT');
    });
  });

  it('rejectsWithCode helper reports a missing rejection', async () => {
    await assert.rejects(rejectsWithCode(Promise.resolve(), 'KYC_INTERNAL'));
  });
});
