import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { IsoInstantOrEmpty } from '../../../protocol/src/http';
import { SECURED, officerOf } from '../http/auth';
import type { BankRouteDeps } from './route-deps';

/** `/v1/usage`: the verifications this bank made, as its private receipts count them. */
export function usageRoutes(app: FastifyInstance, deps: BankRouteDeps): void {
  const officer = officerOf(deps.directory);
  const secured = SECURED;

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
}
