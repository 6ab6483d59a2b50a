import '../quiet-logs';
import assert from 'node:assert/strict';
import { parseInstant } from '../../../../chaincode/src/common/iso-time';

function throwsCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (error: Error) => error.message.startsWith(`${code}: `));
}

describe('chaincode/common/iso-time', () => {
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
});
