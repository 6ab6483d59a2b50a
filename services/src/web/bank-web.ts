import type { FastifyInstance, FastifyRequest } from 'fastify';
import { KycError } from '../../../protocol/src';
import { RegistrationIdParams } from '../../../protocol/src/http';
import { REQUEST_OBJECT_TYPE, REQUEST_URI_PATH, RegistrationReference } from '../../../protocol/src/http/web-api';
import { officerOf, type Principal, type TokenDirectory } from '../http/auth';
import { errorResponses, publicRateLimit } from '../http/app';
import type { RegistrationService } from '../bank/registrations';
import { requestUriOf, shortQrPng, shortQrVersion } from './short-qr';
import { currentRegistration, sendStatusStream, statusEvent, statusOf } from './status-stream';

/**
 * The bank's routes for the desk and the wallet (docs/web.md): the short reference a QR carries, the signed
 * request a wallet fetches by that reference, and live status streams for the desk (with the verified claims)
 * and for a bank's own page (status only).
 */

export interface BankWebDeps {
  readonly registrations: RegistrationService;
  readonly directory: TokenDirectory;
  readonly publicUrl: string;
  readonly rateLimitPerMinute: number;
}

const Params = RegistrationIdParams;
const refused = errorResponses(401, 404, 409, 410);

/** Public paths the wallet (and an embedding page) call cross-origin. */
export const BANK_PUBLIC_PATHS = [
  { method: 'POST', path: /^\/v1\/registrations\/[A-Za-z0-9_-]{16,64}\/presentation$/ },
  { method: 'GET', path: REQUEST_URI_PATH },
  { method: 'GET', path: /^\/v1\/registrations\/[A-Za-z0-9_-]{16,64}\/status$/ },
] as const;

type Lookup = (id: string) => ReturnType<RegistrationService['get']>;
type Officer = (request: FastifyRequest) => Promise<Principal>;

export function bankWebRoutes(deps: BankWebDeps): (app: FastifyInstance) => void {
  return (app) => {
    const officer: Officer = officerOf(deps.directory);
    const lookup: Lookup = (id) => deps.registrations.get(id);
    referenceRoutes(app, deps, officer, lookup);
    statusRoutes(app, deps, officer, lookup);
  };
}

function referenceRoutes(app: FastifyInstance, deps: BankWebDeps, officer: Officer, lookup: Lookup): void {
  app.get<{ Params: { id: string } }>(
    '/v1/registrations/:id/reference',
    {
      schema: {
        tags: ['officer'],
        summary: 'The short QR (request_uri, level M) of a registration',
        params: Params,
        response: { 200: RegistrationReference, ...refused },
      },
    },
    async (request): Promise<RegistrationReference> => {
      await officer(request);
      const r = await lookup(request.params.id);
      const requestUri = requestUriOf(deps.publicUrl, r.id);
      return {
        registrationId: r.id,
        requestUri,
        qrVersion: shortQrVersion(requestUri),
        qrPng: await shortQrPng(requestUri),
        expiresAt: r.expiresAt,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/registrations/:id/request',
    {
      config: publicRateLimit(deps.rateLimitPerMinute),
      schema: {
        tags: ['wallet'],
        summary: 'The signed registration request (JWS) a short QR refers to; only while it can be used',
        params: Params,
        response: refused,
      },
    },
    async (request, reply) => {
      // One read: the status decides, and the same record carries the signed request.
      const r = await currentRegistration(lookup, request.params.id);
      const status = r === undefined ? 'expired' : statusOf(r, false).status;
      if (status === 'expired') throw new KycError('KYC_EXPIRED', 'registration expired; ask for a new QR');
      if (r === undefined || status !== 'pending') throw new KycError('KYC_CONFLICT', 'registration already used');
      return reply.type(REQUEST_OBJECT_TYPE).header('cache-control', 'no-store').send(r.jws);
    },
  );
}

function statusRoutes(app: FastifyInstance, deps: BankWebDeps, officer: Officer, lookup: Lookup): void {
  app.get<{ Params: { id: string } }>(
    '/v1/registrations/:id/events',
    { schema: { tags: ['officer'], summary: 'Live status with the verified claims (SSE)', params: Params } },
    async (request, reply) => {
      await officer(request);
      await lookup(request.params.id);
      return sendStatusStream(request, reply, () => statusEvent(lookup, request.params.id, true));
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/registrations/:id/status',
    {
      config: publicRateLimit(deps.rateLimitPerMinute),
      schema: { tags: ['wallet'], summary: 'Live status only, no personal data (SSE)', params: Params },
    },
    async (request, reply) => {
      await lookup(request.params.id);
      return sendStatusStream(request, reply, () => statusEvent(lookup, request.params.id, false));
    },
  );
}
