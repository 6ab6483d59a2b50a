import { setTimeout as sleep } from 'node:timers/promises';
import { status } from '@grpc/grpc-js';
import { FabricSetupError } from './errors';

/**
 * Retrying the first calls on a fresh network. Until service discovery has converged (peers joined, chaincode
 * approved and committed on every peer, gossip membership known), the peer's gateway answers endorsements with
 * FAILED_PRECONDITION ("no combination of peers can be derived which satisfy the endorsement policy", "no peers
 * available") or UNAVAILABLE, for up to ~30 s. Only evaluation and endorsement errors are retried: nothing was
 * ordered then, so a retry cannot commit a transaction twice.
 */

export interface RetryOptions {
  /** Give up after this long, in milliseconds (default 30,000). */
  readonly timeoutMs?: number;
  /** First pause between attempts (default 250 ms, doubling up to 2 s). */
  readonly initialDelayMs?: number;
  /** Called before each pause, e.g. to log. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

const RETRYABLE_CODES: ReadonlySet<number> = new Set([status.FAILED_PRECONDITION, status.UNAVAILABLE]);
const RETRYABLE_ERRORS: ReadonlySet<string> = new Set(['GatewayError', 'EndorseError']);
const MAX_DELAY_MS = 2_000;

/**
 * True for errors that mean "the network has not converged yet": a fabric-gateway evaluate or endorse error
 * with gRPC status FAILED_PRECONDITION or UNAVAILABLE. Submit and commit errors never qualify.
 */
export function isConvergenceError(error: unknown): boolean {
  if (!(error instanceof Error) || !RETRYABLE_ERRORS.has(error.name)) {
    return false;
  }
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' && RETRYABLE_CODES.has(code);
}

/**
 * Runs `operation`, retrying it while it fails with {@link isConvergenceError}, within a bounded time.
 *
 * @throws FabricSetupError FABRIC_NOT_READY (with the last error as `cause`) when time runs out; any other
 *   error of `operation` at once.
 */
export async function retryWhileConverging<T>(
  operation: () => Promise<T>,
  options: Readonly<RetryOptions> = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const giveUpAt = Date.now() + timeoutMs;
  let delay = options.initialDelayMs ?? 250;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (!isConvergenceError(error)) {
        throw error;
      }
      if (Date.now() + delay > giveUpAt) {
        throw new FabricSetupError('FABRIC_NOT_READY', `Fabric still not ready after ${timeoutMs} ms`, {
          cause: error,
        });
      }
      options.onRetry?.(error, attempt);
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}
