import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { KycError } from '../../../protocol/src';
import {
  NewRegistrationBody,
  RegistrationIdParams,
  ResourceId,
  type PresentationAnswer,
  type RegistrationView,
} from '../../../protocol/src/http';
import { SECURED, officerOf } from '../http/auth';
import { errorResponses, publicRateLimit } from '../http/app';
import type { Registration } from './registrations';
import type { BankRouteDeps } from './route-deps';

/**
 * `/v1/registrations`: an officer opens a registration and follows it; the wallet posts its encrypted
 * presentation (public, rate limited).
 */

const Errors = errorResponses(400, 401, 404, 409, 410, 422);

function view(r: Registration): RegistrationView {
  return {
    registrationId: r.id,
    status: r.status,
    claims: [...r.claims],
    required: [...(r.required ?? r.claims)],
    minLevel: r.minLevel,
    purpose: r.purpose,
    issuedAt: r.issuedAt,
    expiresAt: r.expiresAt,
    ...(r.result === undefined ? {} : { result: r.result }),
  };
}

/** The officer's side: open a registration, read it, render its QR. */
function officerRegistrationRoutes(app: FastifyInstance, deps: BankRouteDeps): void {
  const officer = officerOf(deps.directory);
  const secured = SECURED;

  app.post<{ Body: Static<typeof NewRegistrationBody> }>(
    '/v1/registrations',
    {
      schema: {
        tags: ['officer'],
        security: secured,
        summary: 'Open a registration: signed QR payload for the wallet',
        body: NewRegistrationBody,
        response: errorResponses(400, 401, 429, 507),
      },
    },
    async (request, reply) => {
      const who = await officer(request);
      const registration = await deps.limits.admit(who.name, () => deps.registrations.create(who.name, request.body));
      // The images are drawn when asked for (qr.png, qr.svg, reference): drawing both here cost the bank
      // ~75 ms of CPU per registration, most of a verification's cost (docs/performance.md).
      return reply.status(201).send({ ...view(registration), jws: registration.jws });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/registrations/:id',
    {
      schema: {
        tags: ['officer'],
        security: secured,
        summary: 'Registration status and, once verified, the verified claims',
        params: RegistrationIdParams,
      },
    },
    async (request) => {
      await officer(request);
      return view(await deps.registrations.get(request.params.id));
    },
  );

  app.get<{ Params: { id: string; format: 'png' | 'svg' } }>(
    '/v1/registrations/:id/qr.:format',
    {
      schema: {
        tags: ['officer'],
        security: secured,
        summary: 'The registration QR code as PNG or SVG',
        params: Type.Object({ id: ResourceId, format: Type.Union([Type.Literal('png'), Type.Literal('svg')]) }),
      },
    },
    async (request, reply) => {
      await officer(request);
      const qr = await deps.renderQrCode((await deps.registrations.get(request.params.id)).jws);
      return request.params.format === 'png'
        ? reply.type('image/png').send(qr.png)
        : reply.type('image/svg+xml').send(qr.svg);
    },
  );
}

/** The wallet's side: the encrypted presentation. */
function presentationRoutes(app: FastifyInstance, deps: BankRouteDeps): void {
  app.post<{ Params: { id: string }; Body: string }>(
    '/v1/registrations/:id/presentation',
    {
      config: publicRateLimit(deps.rateLimitPerMinute),
      schema: {
        tags: ['wallet'],
        summary: "The wallet's encrypted presentation (compact JWE, content-type application/jose)",
        params: RegistrationIdParams,
        consumes: ['application/jose'],
        response: Errors,
      },
    },
    async (request) => {
      if (typeof request.body !== 'string' || request.body.length === 0) {
        throw new KycError(
          'KYC_INVALID_ARGUMENT',
          'send the compact JWE as the body with content-type application/jose',
        );
      }
      try {
        const verified = await deps.registrations.present(request.params.id, request.body);
        deps.metrics.outcomes.inc({ operation: 'verify', outcome: 'ok' });
        // The wallet learns what was confirmed, not a copy of the values it sent.
        const answer: PresentationAnswer = {
          registrationId: request.params.id,
          status: 'verified',
          certifier: verified.certifier,
          level: verified.level,
          claims: Object.keys(verified.claims).sort(),
          txId: verified.txId,
        };
        return answer;
      } catch (err) {
        deps.metrics.outcomes.inc({
          operation: 'verify',
          outcome: err instanceof KycError ? err.code : 'KYC_INTERNAL',
        });
        throw err;
      }
    },
  );
}

export function registrationRoutes(app: FastifyInstance, deps: BankRouteDeps): void {
  officerRegistrationRoutes(app, deps);
  presentationRoutes(app, deps);
}
