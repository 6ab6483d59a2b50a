import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { EndorseError, GatewayError } from '@hyperledger/fabric-gateway';
import { isConvergenceError, retryWhileConverging } from '../../../../gateway/src/fabric';

function gatewayError(code: status): GatewayError {
  return new GatewayError({
    code,
    details: [],
    cause: Object.assign(new Error('grpc'), { code, details: '', metadata: undefined as never }),
  });
}

function endorseError(code: status): EndorseError {
  return new EndorseError({
    code,
    details: [],
    transactionId: 'tx1',
    cause: Object.assign(new Error('grpc'), { code, details: '', metadata: undefined as never }),
  });
}

/** An error shaped like fabric-gateway's SubmitError (not exported as a class at run time). */
function submitError(code: number): Error {
  return Object.assign(new Error('submit'), { name: 'SubmitError', code });
}

describe('gateway/fabric/retry', () => {
  it('counts only evaluate/endorse errors with FAILED_PRECONDITION or UNAVAILABLE as convergence', () => {
    assert.equal(isConvergenceError(endorseError(status.FAILED_PRECONDITION)), true);
    assert.equal(isConvergenceError(gatewayError(status.UNAVAILABLE)), true);
    assert.equal(isConvergenceError(endorseError(status.ABORTED)), false);
    assert.equal(isConvergenceError(submitError(status.UNAVAILABLE)), false);
    assert.equal(isConvergenceError(new Error('FAILED_PRECONDITION')), false);
    assert.equal(isConvergenceError(undefined), false);
  });

  it('retries while the network converges, then returns the result', async () => {
    let attempts = 0;
    const retried: number[] = [];
    const result = await retryWhileConverging(
      () => {
        attempts += 1;
        return attempts < 4 ? Promise.reject(endorseError(status.FAILED_PRECONDITION)) : Promise.resolve('committed');
      },
      { initialDelayMs: 1, onRetry: (_error, attempt) => retried.push(attempt) },
    );
    assert.equal(result, 'committed');
    assert.deepEqual(retried, [1, 2, 3]);
  });

  it('passes any other error through at once', async () => {
    let attempts = 0;
    const chaincodeError = endorseError(status.ABORTED);
    await assert.rejects(
      retryWhileConverging(() => {
        attempts += 1;
        return Promise.reject(chaincodeError);
      }),
      (error) => error === chaincodeError,
    );
    assert.equal(attempts, 1);
  });

  it('gives up with FABRIC_NOT_READY, carrying the last error, when the time is spent', async () => {
    const started = Date.now();
    const last = gatewayError(status.UNAVAILABLE);
    await assert.rejects(
      retryWhileConverging(() => Promise.reject(last), { timeoutMs: 120, initialDelayMs: 10 }),
      (error: { code?: string; cause?: unknown }) => error.code === 'FABRIC_NOT_READY' && error.cause === last,
    );
    assert.ok(Date.now() - started < 1_000);
  });
});
