import type { FastifyInstance, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';

/**
 * The web security every page-serving process shares (docs/web.md, "Web security"): security headers and a
 * strict Content-Security-Policy from @fastify/helmet (scripts and styles only from this origin, nothing
 * inline, no framing), cookies, and CORS for the wallet's origin on the public endpoints only.
 */

export interface WebSecurityOptions {
  /** Origins the pages may fetch from besides their own (the wallet: the certifier and the banks). */
  readonly connectSrc?: readonly string[];
  /** The wallet's origin, allowed to call `publicPaths` cross-origin; undefined: no CORS at all. */
  readonly walletOrigin?: string;
  /** Paths (method + pattern) a wallet may call from its origin. */
  readonly publicPaths?: readonly { readonly method: string; readonly path: RegExp }[];
  /** Banks' own pages that embed the registration widget: they may read the public status stream. */
  readonly embedOrigins?: readonly string[];
}

/** The public status stream the embeddable widget reads (status only, no personal data). */
const EMBED_PATH = /^\/v1\/registrations\/[A-Za-z0-9_-]{16,64}\/status$/;

/** The Content-Security-Policy directives: nothing inline, nothing from elsewhere unless listed. */
export function cspDirectives(connectSrc: readonly string[]): Record<string, string[]> {
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    connectSrc: ["'self'", ...connectSrc],
    mediaSrc: ["'self'", 'blob:'],
    workerSrc: ["'self'"],
    manifestSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  };
}

/** The origin a request may be answered to cross-origin, if any. */
function corsOrigin(request: FastifyRequest, options: WebSecurityOptions): string | undefined {
  const origin = request.headers.origin;
  if (origin === undefined) return undefined;
  if (origin === options.walletOrigin && isPublic(request, options)) return origin;
  const path = request.url.split('?')[0] ?? '';
  return (options.embedOrigins ?? []).includes(origin) && request.method === 'GET' && EMBED_PATH.test(path)
    ? origin
    : undefined;
}

function isPublic(request: FastifyRequest, options: WebSecurityOptions): boolean {
  const path = request.url.split('?')[0] ?? '';
  // A preflight names the method it asks for.
  const method =
    request.method === 'OPTIONS' ? (request.headers['access-control-request-method'] ?? '') : request.method;
  return (options.publicPaths ?? []).some((p) => p.method === method && p.path.test(path));
}

export async function registerWebSecurity(app: FastifyInstance, options: WebSecurityOptions): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(options.connectSrc ?? []) },
    // The wallet's camera is its own; nothing else may use one.
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
  });
  await app.register(cookie);
  await app.register(cors, {
    delegator: (request, callback) => {
      const origin = corsOrigin(request, options);
      callback(
        null,
        origin === undefined
          ? { origin: false }
          : {
              origin,
              methods: ['GET', 'POST'],
              allowedHeaders: ['content-type'],
              // The wallet reads when to retry (docs/errors.md).
              exposedHeaders: ['retry-after'],
              maxAge: 600,
            },
      );
    },
  });
}
