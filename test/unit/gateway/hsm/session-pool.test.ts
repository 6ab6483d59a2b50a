import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionPool, type SessionPoolOptions } from '../../../../gateway/src/hsm/session-pool';
import { HsmError } from '../../../../gateway/src/hsm/errors';

interface FakeSession {
  readonly id: number;
  inUse: boolean;
  closed: boolean;
}

/** A pool over fake sessions that records opens and closes and fails loudly if a session is shared. */
function fakePool(size: number, overrides: Partial<SessionPoolOptions<FakeSession>> = {}) {
  let next = 0;
  const opened: FakeSession[] = [];
  const make = (): FakeSession => {
    const session = { id: next++, inUse: false, closed: false };
    opened.push(session);
    return session;
  };
  const initial = Array.from({ length: size }, make);
  const pool = new SessionPool<FakeSession>(initial, {
    open: make,
    close: (session) => {
      session.closed = true;
    },
    isBroken: (error) => error instanceof Error && error.message.includes('CKR_SESSION_HANDLE_INVALID'),
    acquireTimeoutMs: 1_000,
    tokenLabel: 'fake',
    ...overrides,
  });
  /** Borrows a session, checks nobody else holds it, holds it for `ms`. */
  const hold = (ms: number) =>
    pool.use(async (session) => {
      assert.equal(session.inUse, false, `session ${session.id} lent twice`);
      assert.equal(session.closed, false);
      session.inUse = true;
      await sleep(ms);
      session.inUse = false;
      return session.id;
    });
  return { pool, opened, hold };
}

describe('gateway/hsm/session-pool', () => {
  it('lends each session to one operation at a time, however many are in flight', async () => {
    const { pool, hold } = fakePool(3);
    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => hold(i % 3)));
    assert.equal(ids.length, 200);
    assert.deepEqual(new Set(ids), new Set([0, 1, 2]));
    assert.deepEqual(pool.stats(), { size: 3, idle: 3, busy: 0, waiting: 0 });
  });

  it('queues callers first come, first served while all sessions are busy', async () => {
    const { pool } = fakePool(1);
    const order: number[] = [];
    const blocker = pool.use(() => sleep(20));
    const queued = [1, 2, 3].map((n) => pool.use(() => order.push(n)));
    assert.equal(pool.stats().waiting, 3);
    await Promise.all([blocker, ...queued]);
    assert.deepEqual(order, [1, 2, 3]);
  });

  it('gives HSM_BUSY to a caller that waited longer than the acquire timeout, and forgets it', async () => {
    const { pool } = fakePool(1, { acquireTimeoutMs: 20 });
    const blocker = pool.use(() => sleep(100));
    await assert.rejects(
      pool.use(() => 'late'),
      { name: 'HsmError', code: 'HSM_BUSY' },
    );
    assert.equal(pool.stats().waiting, 0);
    await blocker;
    assert.equal(await pool.use(() => 'on time'), 'on time');
  });

  it('returns the session when the operation throws, and passes the error on untouched', async () => {
    const { pool } = fakePool(1);
    const failure = new Error('CKR_FUNCTION_FAILED');
    await assert.rejects(
      pool.use(() => {
        throw failure;
      }),
      (error) => error === failure,
    );
    assert.deepEqual(pool.stats(), { size: 1, idle: 1, busy: 0, waiting: 0 });
  });

  it('replaces a session that an error shows to be broken', async () => {
    const { pool, opened } = fakePool(1);
    await assert.rejects(
      pool.use(() => {
        throw new Error('CKR_SESSION_HANDLE_INVALID');
      }),
    );
    assert.equal(opened[0]?.closed, true);
    assert.equal(await pool.use((session) => session.id), 1);
    assert.equal(pool.stats().size, 1);
  });

  it('fails waiting callers when no session can be replaced', async () => {
    const { pool } = fakePool(1, {
      open: () => {
        throw new Error('CKR_TOKEN_NOT_PRESENT');
      },
    });
    const failing = pool.use(async () => {
      await sleep(5);
      throw new Error('CKR_SESSION_HANDLE_INVALID');
    });
    const waiting = pool.use(() => 'never');
    await assert.rejects(failing);
    await assert.rejects(waiting, { code: 'HSM_OPERATION_FAILED' });
    await assert.rejects(
      pool.use(() => 'never'),
      { code: 'HSM_OPERATION_FAILED' },
    );
  });

  it('on close fails queued callers with HSM_CLOSED, waits for borrowed sessions, then closes all', async () => {
    const { pool, opened, hold } = fakePool(2);
    const running = [hold(30), hold(30)];
    const queued = hold(1);
    const closed = pool.close();
    await assert.rejects(queued, (error) => error instanceof HsmError && error.code === 'HSM_CLOSED');
    assert.equal(
      opened.some((session) => session.closed),
      false,
      'sessions in use are not closed under their operation',
    );
    assert.deepEqual(await Promise.all(running), [1, 0]);
    await closed;
    assert.equal(
      opened.every((session) => session.closed),
      true,
    );
    await assert.rejects(
      pool.use(() => 'after'),
      { code: 'HSM_CLOSED' },
    );
    await pool.close();
  });
});
