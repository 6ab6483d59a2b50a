import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { KycError } from '../../../protocol/src';
import {
  IsoInstantOrEmpty,
  NewRegistrationBody,
  PersonId,
  RegistrationIdParams,
  ResourceId,
  type PresentationAnswer,
  type RegistrationView,
} from '../../../protocol/src/http';
import { authenticate, type Principal, type TokenDirectory } from '../http/auth';
import { errorBodySchema, publicRateLimit } from '../http/app';
import type { ServiceMetrics } from '../http/metrics';
import { eraseAllReceipts, type KycLedger } from '../../../gateway/src/ledger/kyc-ledger';
import { officerRoutes, type OfficerEnrollment } from '../common/officer-routes';
import type { RegistrationLimits } from './registration-limits';
import type { Registration, RegistrationService } from './registrations';

/** The bank service's HTTP API (docs/services.md). The wallet-facing endpoint is public and rate limited. */

export interface BankRouteDeps {
  readonly registrations: RegistrationService;
  /** Caps on open registrations (in all, per officer). */
  readonly limits: RegistrationLimits;
  readonly directory: TokenDirectory;
  readonly officers: OfficerEnrollment;
  readonly ledgerFor: (officer: string) => KycLedger;
  readonly renderQrCode: (text: string) => Promise<{ png: Buffer; svg: string }>;
  readonly metrics: ServiceMetrics;
  readonly rateLimitPerMinute: number;
}

const Errors = {
  400: errorBodySchema,
  401: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
  410: errorBodySchema,
  422: errorBodySchema,
};

function view(r: Registration): RegistrationView {
  return {
    registrationId: r.id,
    status: r.status,
    claims: [...r.claims],
    minLevel: r.minLevel,
    purpose: r.purpose,
    issuedAt: r.issuedAt,
    expiresAt: r.expiresAt,
    ...(r.result === undefined ? {} : { result: r.result }),
  };
}

export function bankRoutes(deps: BankRouteDeps): (app: FastifyInstance) => void {
  return (app: FastifyInstance): void => {
    const officer = (request: Parameters<typeof authenticate>[0]): Promise<Principal> =>
      authenticate(request, deps.directory, ['officer']);
    const secured = [{ bearer: [] }];

    app.post<{ Body: Static<typeof NewRegistrationBody> }>(
      '/v1/registrations',
      {
        schema: {
          tags: ['officer'],
          security: secured,
          summary: 'Open a registration: signed QR payload for the wallet',
          body: NewRegistrationBody,
          response: { 400: errorBodySchema, 401: errorBodySchema, 429: errorBodySchema, 507: errorBodySchema },
        },
      },
      async (request, reply) => {
        const who = await officer(request);
        const registration = await deps.limits.admit(who.name, () => deps.registrations.create(who.name, request.body));
        const qr = await deps.renderQrCode(registration.jws);
        return reply.status(201).send({
          ...view(registration),
          jws: registration.jws,
          qr: { png: `data:image/png;base64,${qr.png.toString('base64')}`, svg: qr.svg },
        });
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

    app.delete<{ Params: { personId: string } }>(
      '/v1/persons/:personId',
      {
        schema: {
          tags: ['officer'],
          security: secured,
          summary: "Erasure: purge the person's receipts from the bank's private collection and shred local results",
          params: Type.Object({ personId: PersonId }),
        },
      },
      async (request) => {
        const who = await officer(request);
        const ledger = await eraseAllReceipts(deps.ledgerFor(who.name), request.params.personId);
        return { ...ledger, forgottenResults: await deps.registrations.forgetPerson(request.params.personId) };
      },
    );

    app.get<{ Params: { personId: string } }>(
      '/v1/persons/:personId/receipts',
      {
        schema: {
          tags: ['officer'],
          security: secured,
          summary: "The bank's verification receipts for a person (private collection)",
          params: Type.Object({ personId: PersonId }),
        },
      },
      async (request) => deps.ledgerFor((await officer(request)).name).getReceipts(request.params.personId),
    );

    app.get<{ Querystring: { from?: string; to?: string } }>(
      '/v1/usage',
      {
        schema: {
          tags: ['officer'],
          security: secured,
          summary: 'Verifications this bank made, optionally in [from, to)',
          querystring: Type.Object({ from: Type.Optional(IsoInstantOrEmpty), to: Type.Optional(IsoInstantOrEmpty) }),
        },
      },
      async (request) =>
        deps.ledgerFor((await officer(request)).name).getUsage(request.query.from ?? '', request.query.to ?? ''),
    );

    officerRoutes(app, deps.directory, deps.officers);
  };
}
