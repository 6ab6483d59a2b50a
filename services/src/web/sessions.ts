import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { KycError } from '../../../protocol/src';
import { CSRF_HEADER, SESSION_COOKIE } from '../../../protocol/src/http/web-api';

/**
 * Officer sessions of the desk and the console. The officer signs in once with their token; the browser then
 * holds only a random session id in an HttpOnly, SameSite=Strict cookie (scripts cannot read it, other sites
 * cannot send it). State changes also need the session's CSRF token in a header, which only a page of this
 * origin can read (GET /v1/session): a defence that still holds if a browser ignores SameSite.
 *
 * Sessions live in this process's memory, keyed by the SHA-256 of the id: a restart signs everyone out, and
 * replicas do not share them (a deployment with replicas pins officers to one, or stores them in the database).
 */

export interface Session {
  readonly officer: string;
  readonly csrf: string;
  readonly expiresAt: number;
}

const digest = (id: string): string => createHash('sha256').update(id, 'utf8').digest('base64url');

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Methods that change nothing; every other method needs the CSRF header. */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #ttlMs: number;
  readonly #max: number;

  constructor(ttlSeconds = 8 * 3600, max = 10_000) {
    this.#ttlMs = ttlSeconds * 1000;
    this.#max = max;
  }

  /** A new session for `officer`; returns the cookie value (shown to nobody but the browser). */
  open(officer: string, now = Date.now()): { id: string; session: Session } {
    this.#sweep(now);
    if (this.#sessions.size >= this.#max) throw new KycError('KYC_CAPACITY', 'too many open sessions');
    const id = randomBytes(32).toString('base64url');
    const session = { officer, csrf: randomBytes(32).toString('base64url'), expiresAt: now + this.#ttlMs };
    this.#sessions.set(digest(id), session);
    return { id, session };
  }

  close(id: string): void {
    this.#sessions.delete(digest(id));
  }

  /** The session a request's cookie names, if any and unexpired. */
  of(request: FastifyRequest, now = Date.now()): { id: string; session: Session } | undefined {
    const id = request.cookies[SESSION_COOKIE];
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const session = this.#sessions.get(digest(id));
    if (session === undefined || session.expiresAt <= now) return undefined;
    return { id, session };
  }

  /**
   * The officer a cookie-authenticated request acts for, or undefined without a session. A state change
   * without the session's CSRF token is refused: it may come from another site's form.
   *
   * @throws KycError KYC_FORBIDDEN when the CSRF header is missing or wrong.
   */
  officerOf(request: FastifyRequest): string | undefined {
    const found = this.of(request);
    if (found === undefined) return undefined;
    if (!SAFE_METHODS.has(request.method)) {
      const header = request.headers[CSRF_HEADER];
      if (typeof header !== 'string' || !sameText(header, found.session.csrf)) {
        throw new KycError('KYC_FORBIDDEN', `a state change needs the session's ${CSRF_HEADER} header`);
      }
    }
    return found.session.officer;
  }

  #sweep(now: number): void {
    for (const [key, session] of this.#sessions) if (session.expiresAt <= now) this.#sessions.delete(key);
  }
}
