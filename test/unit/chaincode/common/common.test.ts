import '../quiet-logs';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Context } from 'fabric-contract-api';
import { marshal, toJson, unmarshal } from '../../../../chaincode/src/common/codec';
import { parseInstant } from '../../../../chaincode/src/common/iso-time';
import { timestampSeconds, txTime } from '../../../../chaincode/src/common/tx-time';
import {
  parseMspListArgument,
  requireLevel,
  requireObject,
  requirePersonId,
} from '../../../../chaincode/src/common/args';
import { accessPolicyFromEnv, requireOwnPeer } from '../../../../chaincode/src/kyc/access';
import { peerMsp } from '../../../../chaincode/src/common/peer';
import { CALLERS, FakeLedger, rejectsWithCode } from '../fakes';
import { newPerson } from '../fixtures';

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: Error) => error.message.startsWith(`${code}: `));
}

describe('chaincode common modules', () => {
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

  describe('ISO instants', () => {
    it('accepts UTC with or without milliseconds and canonicalises', () => {
      assert.deepEqual(parseInstant('2024-02-29T23:59:59Z', 't'), {
        millis: Date.UTC(2024, 1, 29, 23, 59, 59),
        iso: '2024-02-29T23:59:59.000Z',
      });
      assert.equal(parseInstant('2026-01-01T00:00:00.123Z', 't').iso, '2026-01-01T00:00:00.123Z');
    });

    it('refuses offsets, impossible dates and other spellings', () => {
      for (const value of [
        '2025-02-29T00:00:00Z',
        '2026-01-01T24:00:00Z',
        '2026-01-01T00:00:60Z',
        '2026-01-01T00:00:00.1Z',
        '2026-01-01T00:00:00+00:00',
        '2026-01-01 00:00:00Z',
        '+002026-01-01T00:00:00Z',
        1_700_000_000,
        '',
      ]) {
        throwsCode(() => parseInstant(value, 't'), 'KYC_INVALID_ARGUMENT');
      }
    });
  });

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

  describe('access policy from the environment', () => {
    it('splits, trims and drops entries that are not MSP ids', () => {
      const policy = accessPolicyFromEnv({
        KYC_CERTIFIER_MSPS: ' CertifierMSP , bad msp,,Other.MSP',
        KYC_BANK_MSPS: '',
      });
      assert.deepEqual([...policy.certifierMsps], ['CertifierMSP', 'Other.MSP']);
      assert.deepEqual([...policy.bankMsps], []);
      assert.equal(accessPolicyFromEnv({}).certifierMsps.size, 0);
    });
  });

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

  it('rejectsWithCode helper reports a missing rejection', async () => {
    await assert.rejects(rejectsWithCode(Promise.resolve(), 'KYC_INTERNAL'));
  });
});
