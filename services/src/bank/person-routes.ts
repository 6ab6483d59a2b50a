import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { PersonId } from '../../../protocol/src/http';
import { eraseAllReceipts } from '../../../gateway/src/ledger/kyc-ledger';
import { SECURED, officerOf } from '../http/auth';
import type { BankRouteDeps } from './route-deps';

/** `/v1/persons/:personId`: an officer reads a person's receipts, or erases them (and the local results). */
export function personRoutes(app: FastifyInstance, deps: BankRouteDeps): void {
  const officer = officerOf(deps.directory);
  const secured = SECURED;

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
}
