import type { FastifyInstance } from 'fastify';
import { Type, type Static } from '@sinclair/typebox';
import { authenticate, type Principal, type TokenDirectory } from '../http/auth';
import { errorBodySchema, publicRateLimit } from '../http/app';
import type { ServiceMetrics } from '../http/metrics';
import type { KycLedger } from '../../../gateway/src/ledger/kyc-ledger';
import {
  ApproveBody,
  CertificationIdParams,
  CertificationStatus,
  CertificationStatusAnswer,
  NonceAnswer,
  CertificationSubmission,
  CollectionBody,
  PersonId,
  RecordKind,
  RejectBody,
  RevokeBody,
  type CollectedCertification,
  type OfficerCertificationView,
} from '../../../protocol/src/http';
import type { Certification, CertificationService } from './certifications';
import { officerRoutes, type OfficerEnrollment } from '../common/officer-routes';

/** The certifier service's HTTP API (docs/services.md). Public endpoints are rate limited. */

export interface CertifierRouteDeps {
  readonly certifications: CertificationService;
  readonly directory: TokenDirectory;
  readonly officers: OfficerEnrollment;
  /** A ledger client for reads and revocations, signing as the named officer. */
  readonly ledgerFor: (officer: string) => KycLedger;
  readonly metrics: ServiceMetrics;
  readonly rateLimitPerMinute: number;
}

const Errors = {
  400: errorBodySchema,
  401: errorBodySchema,
  403: errorBodySchema,
  404: errorBodySchema,
  409: errorBodySchema,
};

/**
 * What the person collects (with a request signed by their key): the status, the reason of a rejection, and
 * once approved the record reference and, the first time only, the disclosures. Never the claims.
 */
function collectedView(c: Certification): CollectedCertification {
  return {
    id: c.id,
    status: c.status,
    kind: c.kind,
    submittedAt: c.submittedAt,
    ...(c.decidedAt === undefined ? {} : { decidedAt: c.decidedAt }),
    ...(c.reason === undefined ? {} : { reason: c.reason }),
    ...(c.disclosures === undefined ? {} : { disclosures: c.disclosures }),
    ...(c.record === undefined ? {} : { record: c.record }),
    ...(c.collectedAt === undefined ? {} : { collectedAt: c.collectedAt }),
  };
}

function officerView(c: Certification): OfficerCertificationView {
  // Officers review claims; the disclosures (salts) are for the person alone.
  return {
    ...collectedView({ ...c, disclosures: undefined }),
    personId: c.personId,
    // Claims are kept only while pending: a decision drops them (docs/storage.md, retention).
    ...(c.claims === undefined ? {} : { claims: c.claims }),
    ...(c.decidedBy === undefined ? {} : { decidedBy: c.decidedBy }),
  };
}

export function certifierRoutes(deps: CertifierRouteDeps): (app: FastifyInstance) => void {
  return (app: FastifyInstance): void => {
    const officer = (request: Parameters<typeof authenticate>[0]): Promise<Principal> =>
      authenticate(request, deps.directory, ['officer']);
    const tags = { person: ['person'], officer: ['officer'] };
    const secured = [{ bearer: [] }];

    app.post(
      '/v1/certifications/nonce',
      {
        config: publicRateLimit(deps.rateLimitPerMinute),
        schema: {
          tags: tags.person,
          summary: 'Get a single-use nonce for a certification request',
          response: { 200: NonceAnswer },
        },
      },
      (request) => deps.certifications.issueNonce(request.ip),
    );

    app.post<{ Body: Static<typeof CertificationSubmission> }>(
      '/v1/certifications',
      {
        config: publicRateLimit(deps.rateLimitPerMinute),
        schema: {
          tags: tags.person,
          summary: 'Submit claims with a signed certification request',
          body: CertificationSubmission,
          response: { 202: CertificationStatusAnswer, ...Errors },
        },
      },
      async (request, reply) => reply.status(202).send(await deps.certifications.submit(request.body)),
    );

    app.get<{ Params: { id: string } }>(
      '/v1/certifications/:id',
      {
        config: publicRateLimit(deps.rateLimitPerMinute),
        schema: {
          tags: tags.person,
          summary: "Status of a certification (pending, approved, rejected); nothing else without the person's key",
          params: CertificationIdParams,
          response: { 200: CertificationStatusAnswer, ...Errors },
        },
      },
      async (request) => {
        const { id, status } = await deps.certifications.get(request.params.id);
        return { id, status };
      },
    );

    app.post<{ Body: Static<typeof CollectionBody> }>(
      '/v1/certifications/collect',
      {
        config: publicRateLimit(deps.rateLimitPerMinute),
        schema: {
          tags: tags.person,
          summary: "Collect the outcome with a request signed by the person's key; the disclosures are handed out once",
          body: CollectionBody,
          response: { ...Errors, 410: errorBodySchema, 422: errorBodySchema },
        },
      },
      async (request) => collectedView(await deps.certifications.collect(request.body.request)),
    );

    app.get<{ Querystring: { status?: 'pending' | 'approved' | 'rejected' } }>(
      '/v1/certifications',
      {
        schema: {
          tags: tags.officer,
          security: secured,
          summary: 'List certifications (officers)',
          querystring: Type.Object({
            status: Type.Optional(CertificationStatus),
          }),
        },
      },
      async (request) => {
        await officer(request);
        return (await deps.certifications.list(request.query.status)).map(officerView);
      },
    );

    app.post<{ Params: { id: string }; Body: Static<typeof ApproveBody> }>(
      '/v1/certifications/:id/approve',
      {
        schema: {
          tags: tags.officer,
          security: secured,
          summary: 'Approve: commit salted digests to the ledger, signed by the officer',
          params: CertificationIdParams,
          body: ApproveBody,
        },
      },
      async (request) => {
        const who = await officer(request);
        const done = await deps.certifications.approve(request.params.id, who.name, request.body.level);
        deps.metrics.outcomes.inc({ operation: 'certify', outcome: 'ok' });
        return officerView(done);
      },
    );

    app.post<{ Params: { id: string }; Body: Static<typeof RejectBody> }>(
      '/v1/certifications/:id/reject',
      {
        schema: {
          tags: tags.officer,
          security: secured,
          summary: 'Reject a certification',
          params: CertificationIdParams,
          body: RejectBody,
        },
      },
      async (request) => {
        const who = await officer(request);
        return officerView(await deps.certifications.reject(request.params.id, who.name, request.body.reason));
      },
    );

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

    officerRoutes(app, deps.directory, deps.officers);
  };
}
