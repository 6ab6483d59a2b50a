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
  const answer = (peer: number): Promise<never> | Promise<number> => {
    calls.push(peer);
    const failure = failures[peer];
    return failure === undefined ? Promise.resolve(peer) : Promise.reject(failure);
  };
  return (peer) => ({
    evaluate: () => answer(peer),
    prepare: () => answer(peer).then((n) => ({ name: 'Certify', id: String(n), bytes: '' })),
    commit: () => answer(peer),
  });
}

const PREPARED = { name: 'Certify', id: 'tx1', bytes: '' } as const;

describe('gateway/ledger/failover: one retry on the next peer', () => {
  it('retries an unreachable peer once on the next, which becomes the current one', async () => {
    const calls: number[] = [];
    const cursor = cursorOf(2);
    const invoker = failoverInvoker(cursor, peersFailing({ 0: unavailable('EndorseError') }, calls));
    assert.equal(await invoker.evaluate('IsVerified', []), 1);
    assert.equal(await invoker.evaluate('IsVerified', []), 1);
    assert.deepEqual(calls, [0, 1, 1]);
    assert.deepEqual(cursor.moves, [1]);
  });

  it('endorses on the next peer when the first is unreachable', async () => {
    const calls: number[] = [];
    const invoker = failoverInvoker(cursorOf(2), peersFailing({ 0: unavailable('EndorseError') }, calls));
    assert.equal((await invoker.prepare('Certify', [])).id, '1');
    assert.deepEqual(calls, [0, 1]);
  });

  it('commits the same prepared transaction on the next peer when the outcome is unknown, however far it got', async () => {
    for (const stage of ['SubmitError', 'CommitStatusError', 'EndorseError']) {
      const calls: number[] = [];
      const invoker = failoverInvoker(cursorOf(2), peersFailing({ 0: unavailable(stage) }, calls));
      assert.equal(await invoker.commit(PREPARED), 1);
      assert.deepEqual(calls, [0, 1]);
    }
  });

  it('never retries an evaluation or endorsement refused for another reason than reaching the peer, or with a single peer', async () => {
    const cases: [number, KycError][] = [
      [2, unavailable('SubmitError')],
      [2, new KycError('KYC_MISMATCH', 'consent does not match')],
      [1, unavailable('GatewayError')],
    ];
    for (const [peers, failure] of cases) {
      const calls: number[] = [];
      const cursor = cursorOf(peers);
      const invoker = failoverInvoker(cursor, peersFailing({ 0: failure }, calls));
      await assert.rejects(invoker.prepare('Certify', []), (err: unknown) => err === failure);
      await assert.rejects(invoker.evaluate('IsVerified', []), (err: unknown) => err === failure);
      assert.deepEqual(calls, [0, 0]);
      assert.deepEqual(cursor.moves, []);
    }
  });

  it('never commits again after a refusal at commit (MVCC conflict, policy failure)', async () => {
    const calls: number[] = [];
    const refusal = new KycError('KYC_CONFLICT', 'a concurrent update changed the record; retry');
    const invoker = failoverInvoker(cursorOf(2), peersFailing({ 0: refusal }, calls));
    await assert.rejects(invoker.commit(PREPARED), (err: unknown) => err === refusal);
    assert.deepEqual(calls, [0]);
  });

  it('reports the second peer failure when both are unreachable', async () => {
    const calls: number[] = [];
    const second = unavailable('GatewayError');
    const invoker = failoverInvoker(cursorOf(2), peersFailing({ 0: unavailable('EndorseError'), 1: second }, calls));
    await assert.rejects(invoker.evaluate('GetAttestations', []), (err: unknown) => err === second);
    assert.deepEqual(calls, [0, 1]);
  });
});
