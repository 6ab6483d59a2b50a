import assert from 'node:assert/strict';
import { KycError } from '../../../../protocol/src';
import { failoverInvoker, type PeerCursor } from '../../../../gateway/src/ledger/failover';
import type { LedgerInvoker } from '../../../../gateway/src/ledger/kyc-ledger';

function unavailable(causeName: string): KycError {
  const cause = Object.assign(new Error('14 UNAVAILABLE'), { name: causeName });
  return new KycError('KYC_UNAVAILABLE', 'peer unreachable', { cause });
}

function cursorOf(peers: number): PeerCursor & { readonly moves: number[] } {
  let current = 0;
  const moves: number[] = [];
  return {
    peers,
    moves,
    current: () => current,
    moveTo: (next) => {
      moves.push(next);
      current = next;
    },
  };
}

/** Peers that fail with `failures[peer]` (or answer their own index). */
function peersFailing(failures: Record<number, KycError>, calls: number[]): (peer: number) => LedgerInvoker {
  return (peer) => () => {
    calls.push(peer);
    const failure = failures[peer];
    return failure === undefined ? Promise.resolve(peer) : Promise.reject(failure);
  };
}

describe('gateway/ledger/failover: one retry on the next peer', () => {
  it('retries an unreachable peer once on the next, which becomes the current one', async () => {
    const calls: number[] = [];
    const cursor = cursorOf(2);
    const invoke = failoverInvoker(cursor, peersFailing({ 0: unavailable('EndorseError') }, calls));
    assert.equal(await invoke('IsVerified', []), 1);
    assert.equal(await invoke('IsVerified', []), 1);
    assert.deepEqual(calls, [0, 1, 1]);
    assert.deepEqual(cursor.moves, [1]);
  });

  it('never retries a transaction that reached ordering, another code, or with a single peer', async () => {
    const cases: [number, KycError][] = [
      [2, unavailable('SubmitError')],
      [2, new KycError('KYC_MISMATCH', 'consent does not match')],
      [1, unavailable('GatewayError')],
    ];
    for (const [peers, failure] of cases) {
      const calls: number[] = [];
      const cursor = cursorOf(peers);
      const invoke = failoverInvoker(cursor, peersFailing({ 0: failure }, calls));
      await assert.rejects(invoke('Certify', []), (err: unknown) => err === failure);
      assert.deepEqual(calls, [0]);
      assert.deepEqual(cursor.moves, []);
    }
  });

  it('reports the second peer failure when both are unreachable', async () => {
    const calls: number[] = [];
    const second = unavailable('GatewayError');
    const invoke = failoverInvoker(cursorOf(2), peersFailing({ 0: unavailable('EndorseError'), 1: second }, calls));
    await assert.rejects(invoke('GetAttestations', []), (err: unknown) => err === second);
    assert.deepEqual(calls, [0, 1]);
  });
});
