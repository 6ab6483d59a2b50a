import { KycError } from '../../../protocol/src';
import type { LedgerInvoker } from './kyc-ledger';

/** Which peer an organisation's ledger calls go through now, shared by its officers' clients. */
export interface PeerCursor {
  readonly peers: number;
  current(): number;
  moveTo(peerIndex: number): void;
}

/** True when the failure happened while reaching the peer (endorsement or evaluation), not after submitting. */
function unreachable(err: KycError): boolean {
  const cause = err.cause as { name?: unknown } | undefined;
  return cause?.name === 'EndorseError' || cause?.name === 'GatewayError';
}

/**
 * Wraps per-peer ledger invokers. An evaluation or endorsement that finds its peer unreachable
 * (KYC_UNAVAILABLE before anything was submitted for ordering) is retried once on the next peer, which then
 * becomes the current one. A commit whose outcome is unknown (KYC_UNAVAILABLE at any stage) is retried once on
 * the next peer too: it orders the same signed bytes, so the id commits at most once wherever it is sent.
 */
export function failoverInvoker(cursor: PeerCursor, at: (peerIndex: number) => LedgerInvoker): LedgerInvoker {
  const withFailover =
    <A extends unknown[], R>(
      call: (invoker: LedgerInvoker, ...args: A) => Promise<R>,
      retryable: (e: KycError) => boolean,
    ) =>
    async (...args: A): Promise<R> => {
      const first = cursor.current();
      try {
        return await call(at(first), ...args);
      } catch (err) {
        if (cursor.peers < 2 || !(err instanceof KycError) || err.code !== 'KYC_UNAVAILABLE' || !retryable(err)) {
          throw err;
        }
        const next = (first + 1) % cursor.peers;
        cursor.moveTo(next);
        return call(at(next), ...args);
      }
    };
  return {
    evaluate: withFailover((invoker, name, args) => invoker.evaluate(name, args), unreachable),
    prepare: withFailover((invoker, name, args) => invoker.prepare(name, args), unreachable),
    commit: withFailover(
      (invoker, prepared) => invoker.commit(prepared),
      () => true,
    ),
  };
}
