import assert from 'node:assert/strict';
import { KycError } from '../../protocol/src';

/** Asserts that `promise` rejects with a KycError of `code`. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof KycError, `expected a KycError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}
