import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { KycError, type ErrorCode } from '../../../protocol/src';
import { httpStatusOf, toKycError } from '../errors';
import { newHttpMetrics, type ServiceMetrics } from './metrics';

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
  readonly health: () => Promise<Readonly<Record<string, boolean>>>;
  readonly metrics: ServiceMetrics;
}

export interface ErrorBody {
  readonly error: { readonly code: ErrorCode; readonly message: string; readonly transactionId?: string };
}

export const errorBodySchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', examples: ['KYC_NOT_FOUND'] },
        message: { type: 'string' },
        transactionId: { type: 'string' },
      },
    },
  },
} as const;

function errorBody(err: KycError): ErrorBody {
  const transactionId = (err as { transactionId?: unknown }).transactionId;
  return {
    error: {
      code: err.code,
      message: err.message,
      ...(typeof transactionId === 'string' ? { transactionId } : {}),
    },
  };
}

/** Maps fastify's own failures (schema, JSON, size, media type, rate limit) to KYC codes. */
function frameworkError(err: FastifyError): KycError | undefined {
  if (err.validation !== undefined) {
    return new KycError('KYC_INVALID_ARGUMENT', err.message);
  }
  if (err.statusCode === 429) {
    return new KycError('KYC_RATE_LIMITED', 'too many requests; slow down');
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return new KycError('KYC_INVALID_ARGUMENT', err.message);
  }
  return undefined;
}

function handleError(this: FastifyInstance, err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const kycError = frameworkError(err) ?? toKycError(err);
  const status = err.statusCode === 413 || err.statusCode === 415 ? err.statusCode : httpStatusOf(kycError.code);
  if (status >= 500) {
    request.log.error({ err }, 'request failed');
  } else {
    request.log.info({ code: kycError.code }, kycError.message);
  }
  void reply.status(status).send(errorBody(kycError));
}

/**
 * Builds the fastify instance with everything but the service's own routes.
 *
 * @example
 * const app = await createHttpApp({ title: 'Bank service', … });
 * app.register(bankRoutes(service));
 */
export async function createHttpApp(options: HttpAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.logLevel, redact: ['req.headers.authorization'] },
    bodyLimit: options.bodyLimit,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send(errorBody(new KycError('KYC_NOT_FOUND', `no route ${request.method} ${request.url}`)));
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
      const ok = Object.values(checks).every(Boolean);
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
