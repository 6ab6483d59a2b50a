import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KycError } from '../../../protocol/src';
import { SESSION_COOKIE, SignInBody, SessionView } from '../../../protocol/src/http/web-api';
import { tokenDigest, type TokenDirectory } from '../http/auth';
import { errorBodySchema } from '../http/app';
import { servePages, type WebApp } from './pages';
import { registerWebSecurity, type WebSecurityOptions } from './security';
import type { SessionStore } from './sessions';

/**
 * An officer's pages inside their organisation's service (same origin as its API, so the session cookie is
 * SameSite=Strict and never crosses origins): `/<app>/` (the page, or a redirect to sign-in without a
 * session), `/<app>/signin.html`, the bundles, and `/v1/session` to sign in with the officer's token, read the
 * session (officer name and CSRF token) and sign out.
 */

export interface OfficerWebOptions extends WebSecurityOptions {
  readonly app: WebApp & ('desk' | 'console');
  readonly directory: TokenDirectory;
  readonly sessions: SessionStore;
  /** `Secure` on the cookie (behind TLS); off on the local http://127.0.0.1 network. */
  readonly secureCookie?: boolean;
}

/** The directory the routes authenticate with: bearer tokens as before, and the session cookie. */
export function withSessions(directory: TokenDirectory, sessions: SessionStore): TokenDirectory {
  return {
    get adminTokenDigest() {
      return directory.adminTokenDigest;
    },
    officerByTokenDigest: (digest) => directory.officerByTokenDigest(digest),
    officerBySession: (request) => sessions.officerOf(request),
  };
}

/** A sign-in must come from a page of this origin (no login CSRF from another site's form). */
function assertSameOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== `${request.protocol}://${String(request.headers.host)}`) {
    throw new KycError('KYC_FORBIDDEN', 'sign in from the service’s own page');
  }
}

const view = (session: { officer: string; csrf: string; expiresAt: number }): SessionView => ({
  officer: session.officer,
  csrf: session.csrf,
  expiresAt: new Date(session.expiresAt).toISOString(),
});

function sessionRoutes(app: FastifyInstance, options: OfficerWebOptions): void {
  const { sessions } = options;
  const schema = { tags: ['officer'], response: { 401: errorBodySchema, 403: errorBodySchema } };
  app.post<{ Body: SignInBody }>(
    '/v1/session',
    { schema: { ...schema, summary: 'Sign in with an officer token: sets the session cookie', body: SignInBody } },
    async (request, reply: FastifyReply) => {
      assertSameOrigin(request);
      const officer = await options.directory.officerByTokenDigest(tokenDigest(request.body.token));
      if (officer === undefined) throw new KycError('KYC_UNAUTHENTICATED', 'unknown or revoked token');
      const { id, session } = sessions.open(officer);
      void reply.setCookie(SESSION_COOKIE, id, {
        httpOnly: true,
        sameSite: 'strict',
        secure: options.secureCookie === true,
        path: '/',
        maxAge: Math.floor((session.expiresAt - Date.now()) / 1000),
      });
      return reply.status(201).send(view(session));
    },
  );
  app.get('/v1/session', { schema: { ...schema, summary: 'The signed-in officer and the CSRF token' } }, (request) => {
    const found = sessions.of(request);
    if (found === undefined) throw new KycError('KYC_UNAUTHENTICATED', 'not signed in');
    return view(found.session);
  });
  app.delete('/v1/session', { schema: { tags: ['officer'], summary: 'Sign out' } }, (request, reply) => {
    const found = sessions.of(request);
    if (found !== undefined && sessions.officerOf(request) !== undefined) sessions.close(found.id);
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.status(204).send();
  });
}

export async function registerOfficerWeb(app: FastifyInstance, options: OfficerWebOptions): Promise<void> {
  await registerWebSecurity(app, options);
  sessionRoutes(app, options);
  const prefix = `/${options.app}/`;
  await servePages(app, options.app, prefix, { index: false });
  // The page itself needs a session; without one the officer is sent to sign in.
  app.get(prefix, { schema: { hide: true } }, (request, reply) =>
    sessions(options, request) ? reply.sendFile('index.html') : reply.redirect(`${prefix}signin.html`, 303),
  );
  app.get('/', { schema: { hide: true } }, (_request, reply) => reply.redirect(prefix, 303));
  // The embeddable widget is loaded by the bank's own pages, on another origin.
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.url === '/desk/kyc-embed.js') void reply.header('cross-origin-resource-policy', 'cross-origin');
    done(null, payload);
  });
}

function sessions(options: OfficerWebOptions, request: FastifyRequest): boolean {
  return options.sessions.of(request) !== undefined;
}
