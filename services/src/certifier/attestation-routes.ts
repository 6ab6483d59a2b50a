import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { PersonId, RecordKind, RevokeBody } from '../../../protocol/src/http';
import { SECURED, officerOf } from '../http/auth';
import type { CertifierRouteDeps } from './route-deps';

/** `/v1/attestations`: an officer reads a person's records and this certifier's history, and revokes. */
export function attestationRoutes(app: FastifyInstance, deps: CertifierRouteDeps): void {
  const officer = officerOf(deps.directory);
  const tags = { officer: ['officer'] };
  const secured = SECURED;

  app.get<{ Params: { personId: string } }>(
    '/v1/attestations/:personId',
    {
      schema: {
        tags: tags.officer,
        security: secured,
        summary: "A person's attestations on the ledger",
        params: Type.Object({ personId: PersonId }),
      },
    },
    async (request) => deps.ledgerFor((await officer(request)).name).getAttestations(request.params.personId),
  );

  app.get<{ Params: { personId: string; kind: string } }>(
    '/v1/attestations/:personId/:kind/history',
    {
      schema: {
        tags: tags.officer,
        security: secured,
        summary: "History of this certifier's attestation",
        params: Type.Object({ personId: PersonId, kind: RecordKind }),
      },
    },
    async (request) => {
      const who = await officer(request);
      return deps
        .ledgerFor(who.name)
        .getHistory(request.params.personId, deps.certifications.mspId, request.params.kind);
    },
  );

  app.post<{ Params: { personId: string; kind: string }; Body: Static<typeof RevokeBody> }>(
    '/v1/attestations/:personId/:kind/revoke',
    {
      schema: {
        tags: tags.officer,
        security: secured,
        summary: "Revoke this certifier's attestation",
        params: Type.Object({ personId: PersonId, kind: RecordKind }),
        body: RevokeBody,
      },
    },
    async (request) => {
      const who = await officer(request);
      const record = await deps
        .ledgerFor(who.name)
        .revoke(request.params.personId, request.params.kind, request.body.reason);
      deps.metrics.outcomes.inc({ operation: 'revoke', outcome: 'ok' });
      return record;
    },
  );
}
