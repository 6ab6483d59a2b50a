import type { Socket } from 'node:net';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { KycError } from '../../../protocol/src';
import { httpStatusOf, toKycError } from '../../../gateway/src/errors';
import { newHttpMetrics, type ServiceMetrics } from './metrics';
import { ErrorBody } from '../../../protocol/src/http';

/**
 * The HTTP shell both services share: JSON-schema validation, OpenAPI 3.1 at /openapi.json with a UI at
 * /docs, /healthz, Prometheus /metrics, body-size and rate limits, structured (pino) logs, and the one error
 * handler that turns every failure into `{ error: { code, message } }` with the status docs/errors.md gives.
 */

export interface HttpAppOptions {
  readonly title: string;
  readonly description: string;
  readonly version: string;
  readonly logLevel: string;
  readonly bodyLimit: number;
  readonly rateLimitPerMinute: number;
  /** Reports whether the service can do its work (ledger reachable, HSM open); false → /healthz 503. */
  readonly health: () => Promise<Readonly<Record<string, boolean | string>>>;
  readonly metrics: ServiceMetrics;
  /** Where the log lines go (default stdout); tests read them. */
  readonly logStream?: { write(line: string): void };
}

/** Every refusal's body, as JSON Schema for the routes' `response` sections. */
export const errorBodySchema = ErrorBody;

/** A route's documented refusals: each status with the one error body. */
export function errorResponses(...statuses: readonly number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorBody]));
}

function errorBody(err: KycError): ErrorBody {
  const transactionId = (err as { transactionId?: unknown }).transactionId;
  return {
    error: {
      code: err.code,
      message: err.detail,
      ...(typeof transactionId === 'string' ? { transactionId } : {}),
    },
  };
}

/** Statuses fastify itself answers with that say more than 400; they are kept, with a KYC code. */
const FRAMEWORK_STATUSES: ReadonlySet<number> = new Set([408, 413, 414, 415, 431]);

/**
 * Maps fastify's own failures (schema, JSON, size, media type, URL, rate limit) to KYC codes. Their messages
 * are not passed on: some quote the request (a JSON parse error quotes the body, a long-parameter error the
 * path), which may carry personal data or a capability.
 */
function frameworkError(err: FastifyError): KycError | undefined {
  if (err.validation !== undefined) {
    return new KycError('KYC_INVALID_ARGUMENT', err.message);
  }
  if (err.statusCode === 429) {
    return new KycError('KYC_RATE_LIMITED', 'too many requests; slow down');
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new KycError('KYC_INVALID_ARGUMENT', FRAMEWORK_MESSAGES[err.statusCode] ?? 'malformed request');
  }
  return undefined;
}

const FRAMEWORK_MESSAGES: Readonly<Record<number, string>> = {
  400: 'malformed request',
  404: 'no such route',
  408: 'the request did not arrive in time',
  413: 'the request body is too large',
  414: 'the request URL or one of its path parameters is too long',
  415: 'unsupported content-type',
  431: 'the request headers are too large',
};

function statusOf(err: FastifyError, kycError: KycError): number {
  return err.statusCode !== undefined && FRAMEWORK_STATUSES.has(err.statusCode)
    ? err.statusCode
    : httpStatusOf(kycError.code);
}

/**
 * Codes after which the same request may simply be sent again, and how long to wait (seconds): the service
 * or the ledger is briefly unavailable, or full. Every such request is safe to repeat: submissions carry a
 * single-use nonce or request, so a repeat that arrives after a success is refused (KYC_CONFLICT), never
 * applied twice (docs/errors.md).
 */
export const RETRY_AFTER_SECONDS: Readonly<Partial<Record<KycError['code'], number>>> = {
  KYC_UNAVAILABLE: 5,
  KYC_CAPACITY: 30,
};

function handleError(this: FastifyInstance, err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const kycError = frameworkError(err) ?? toKycError(err);
  const status = statusOf(err, kycError);
  const retryAfter = RETRY_AFTER_SECONDS[kycError.code];
  if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
  if (status >= 500) {
    request.log.error({ err, code: kycError.code, status }, 'request failed');
  } else {
    // Codes only: messages may name ids or quote input.
    request.log.info({ code: kycError.code, status }, 'request refused');
  }
  void reply.status(status).send(errorBody(kycError));
}

/**
 * Errors Node's HTTP parser raises before fastify sees a request (headers too large, malformed request
 * line, timeouts): answered on the raw socket in the documented shape.
 */
function handleClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = JSON.stringify(
    errorBody(new KycError('KYC_INVALID_ARGUMENT', FRAMEWORK_MESSAGES[status] ?? 'malformed request')),
  );
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json; charset=utf-8\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * What a request log line says about the request: method and route pattern, never the URL. A URL may hold a
 * capability or a personal identifier (`/v1/certifications/<id>`, `/v1/persons/<did>`), a query string a
 * token; the logs are files other people may read.
 */
export function requestLogFields(request: {
  readonly method: string;
  readonly routeOptions?: { readonly url?: string };
}): { method: string; route: string } {
  return { method: request.method, route: request.routeOptions?.url ?? '(no route)' };
}

/**
 * Builds the fastify instance with everything but the service's own routes.
 *
 * @example
 * const app = await createHttpApp({ title: 'Bank service', … });
 * app.register(bankRoutes(service));
 */
export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  let closing = false;
  const app = Fastify({
    logger: {
      level: options.logLevel,
      serializers: { req: requestLogFields },
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
    },
    bodyLimit: options.bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    // Refusals fastify makes before routing (bad URL encoding, over-long path parameters: 414).
    frameworkErrors: (err, _request, reply: FastifyReply) => {
      const kycError = frameworkError(err) ?? toKycError(err);
      void reply.status(statusOf(err, kycError)).send(errorBody(kycError));
    },
    clientErrorHandler: handleClientError,
    return503OnClosing: false,
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((_request, reply) => {
    void reply.status(404).send(errorBody(new KycError('KYC_NOT_FOUND', FRAMEWORK_MESSAGES[404] ?? 'no such route')));
  });
  // While closing, new requests get the documented 503 instead of fastify's own body.
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (_request, _reply, done) => {
    done(closing ? new KycError('KYC_UNAVAILABLE', 'the service is shutting down') : undefined);
  });
  // Wallets post compact JWE/JWS as text.
  app.addContentTypeParser(['application/jose', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => {
    done(null, body);
  });
  await app.register(rateLimit, { global: false });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, description: options.description, version: options.version },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'officer or admin token' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  options.metrics.instrument(app);

  app.get('/openapi.json', { schema: { hide: true } }, () => app.swagger());
  app.get(
    '/healthz',
    { schema: { tags: ['operations'], summary: 'Liveness and dependency health' } },
    async (_r, reply) => {
      const checks = await options.health().catch(() => ({ health: false }));
      // Strings are reasons next to the checks (e.g. why the store is down); only a false check degrades.
      const ok = Object.values(checks).every((v) => v !== false);
      return reply.status(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks });
    },
  );
  app.get('/metrics', { schema: { hide: true } }, async (_r, reply) =>
    reply.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics()),
  );
  return app;
}

/** Per-route rate limit for public endpoints (wallet-facing), from the service configuration. */
export function publicRateLimit(perMinute: number): { rateLimit: { max: number; timeWindow: string } } {
  return { rateLimit: { max: perMinute, timeWindow: '1 minute' } };
}

export { newHttpMetrics };
