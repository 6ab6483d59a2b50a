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
 * Wraps per-peer ledger invokers: a call that finds its peer unreachable (KYC_UNAVAILABLE before anything
 * was submitted for ordering) is retried once on the next peer, which then becomes the current one. A call
 * that reached ordering is never retried elsewhere: it may commit, and a second submission would be a second
 * transaction.
 */
export function failoverInvoker(cursor: PeerCursor, at: (peerIndex: number) => LedgerInvoker): LedgerInvoker {
  return async (name, args) => {
    const first = cursor.current();
    try {
      return await at(first)(name, args);
    } catch (err) {
      if (cursor.peers < 2 || !(err instanceof KycError) || err.code !== 'KYC_UNAVAILABLE' || !unreachable(err)) {
        throw err;
      }
      const next = (first + 1) % cursor.peers;
      cursor.moveTo(next);
      return at(next)(name, args);
    }
  };
}
