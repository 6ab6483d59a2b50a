import { HsmError } from './errors';

/**
 * A fixed set of PKCS#11 sessions lent out one operation at a time. A PKCS#11 session runs one operation at
 * once (a second C_SignInit gives CKR_OPERATION_ACTIVE, and concurrent use has crashed pkcs11js users), so
 * every operation borrows a session exclusively and gives it back; callers queue, first come first served,
 * while all sessions are busy. Generic over the session type so its rules can be tested without a token.
 */

/** How the pool opens and closes sessions, and how long a caller may wait. */
export interface SessionPoolOptions<S> {
  /** Opens a replacement for a session found broken; the pool shrinks when this throws. */
  readonly open: () => S;
  /** Closes a session; errors are ignored. */
  readonly close: (session: S) => void;
  /** True when an error means the session itself is unusable (closed, handle invalid, operation stuck). */
  readonly isBroken: (error: unknown) => boolean;
  /** Longest wait for a free session before failing with HSM_BUSY, in milliseconds. */
  readonly acquireTimeoutMs: number;
  /** Token label, for error context. */
  readonly tokenLabel: string;
}

/** A snapshot of the pool, for metrics and tests. */
export interface SessionPoolStats {
  readonly size: number;
  readonly idle: number;
  readonly busy: number;
  readonly waiting: number;
}

interface Waiter<S> {
  readonly resolve: (session: S) => void;
  readonly reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

/** Lends sessions one operation at a time; see the module comment. */
export class SessionPool<S> {
  readonly #options: SessionPoolOptions<S>;
  readonly #sessions = new Set<S>();
  readonly #idle: S[] = [];
  readonly #waiters: Waiter<S>[] = [];
  #closed = false;
  #onDrained: (() => void) | undefined;

  /** Takes ownership of already opened (and logged-in) sessions. */
  constructor(sessions: readonly S[], options: Readonly<SessionPoolOptions<S>>) {
    this.#options = options;
    for (const session of sessions) {
      this.#sessions.add(session);
      this.#idle.push(session);
    }
  }

  /**
   * Runs `operation` with a session that nobody else uses until it settles.
   *
   * @throws HsmError HSM_CLOSED after {@link close}, HSM_BUSY when no session came free in time; otherwise
   *   whatever `operation` throws.
   */
  async use<T>(operation: (session: S) => Promise<T> | T): Promise<T> {
    const session = await this.#acquire();
    let broken = false;
    try {
      return await operation(session);
    } catch (error) {
      broken = this.#options.isBroken(error);
      throw error;
    } finally {
      this.#release(session, broken);
    }
  }

  /** Sizes of the pool right now. */
  stats(): SessionPoolStats {
    return {
      size: this.#sessions.size,
      idle: this.#idle.length,
      busy: this.#sessions.size - this.#idle.length,
      waiting: this.#waiters.length,
    };
  }

  /**
   * Refuses new operations, fails queued callers with HSM_CLOSED, waits for borrowed sessions to come back and
   * closes every session. Idempotent.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      for (const waiter of this.#waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(this.#closedError());
      }
    }
    if (this.#idle.length < this.#sessions.size) {
      await new Promise<void>((resolve) => {
        const previous = this.#onDrained;
        this.#onDrained = (): void => {
          previous?.();
          resolve();
        };
      });
    }
    for (const session of this.#idle.splice(0)) {
      this.#sessions.delete(session);
      this.#closeQuietly(session);
    }
  }

  #acquire(): Promise<S> {
    if (this.#closed) {
      return Promise.reject(this.#closedError());
    }
    if (this.#sessions.size === 0) {
      return Promise.reject(this.#emptyError());
    }
    const idle = this.#idle.pop();
    if (idle !== undefined) {
      return Promise.resolve(idle);
    }
    return new Promise<S>((resolve, reject) => {
      const waiter: Waiter<S> = { resolve, reject, timer: undefined };
      waiter.timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) {
          this.#waiters.splice(index, 1);
          reject(
            new HsmError('HSM_BUSY', `no free session within ${this.#options.acquireTimeoutMs} ms`, {
              tokenLabel: this.#options.tokenLabel,
            }),
          );
        }
      }, this.#options.acquireTimeoutMs);
      this.#waiters.push(waiter);
    });
  }

  #release(session: S, broken: boolean): void {
    const usable = broken ? this.#replace(session) : session;
    if (usable !== undefined) {
      const waiter = this.#closed ? undefined : this.#waiters.shift();
      if (waiter === undefined) {
        this.#idle.push(usable);
      } else {
        clearTimeout(waiter.timer);
        waiter.resolve(usable);
      }
    } else if (this.#sessions.size === 0) {
      for (const waiter of this.#waiters.splice(0)) {
        clearTimeout(waiter.timer);
        waiter.reject(this.#emptyError());
      }
    }
    if (this.#idle.length === this.#sessions.size) {
      const drained = this.#onDrained;
      this.#onDrained = undefined;
      drained?.();
    }
  }

  /** Closes a broken session and opens a fresh one in its place; returns undefined when that fails. */
  #replace(session: S): S | undefined {
    this.#sessions.delete(session);
    this.#closeQuietly(session);
    if (this.#closed) {
      return undefined;
    }
    try {
      const fresh = this.#options.open();
      this.#sessions.add(fresh);
      return fresh;
    } catch {
      return undefined;
    }
  }

  #closeQuietly(session: S): void {
    try {
      this.#options.close(session);
    } catch {
      // The session is gone either way.
    }
  }

  #closedError(): HsmError {
    return new HsmError('HSM_CLOSED', 'the token was closed', { tokenLabel: this.#options.tokenLabel });
  }

  #emptyError(): HsmError {
    return new HsmError('HSM_OPERATION_FAILED', 'no usable session is left on the token', {
      tokenLabel: this.#options.tokenLabel,
    });
  }
}
