import type { FastifyInstance } from 'fastify';
import {
  ApproveBody,
  CertificationIdParams,
  CertificationStatus,
  CertificationStatusAnswer,
  CertificationSubmission,
  CollectionBody,
  NonceAnswer,
  RejectBody,
  type CollectedCertification,
  type OfficerCertificationView,
} from '../../../protocol/src/http';
import { Type, type Static } from '@sinclair/typebox';
import { SECURED, officerOf } from '../http/auth';
import { errorResponses, publicRateLimit } from '../http/app';
import { supportedLevel, type Certification } from './certifications';
import type { CertifierRouteDeps } from './route-deps';

/**
 * `/v1/certifications`: the person asks for a nonce, submits, checks the status and collects the outcome
 * (public, rate limited); officers list, approve and reject.
 */

const Errors = errorResponses(400, 401, 403, 404, 409);

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
    ...(c.status === 'pending' ? { supportedLevel: supportedLevel(c) } : {}),
    ...(c.evidence === undefined ? {} : { evidence: c.evidence }),
  };
}

/** The person's side: nonce, submission, status, collection (public, rate limited). */
function personRoutes(app: FastifyInstance, deps: CertifierRouteDeps): void {
  const tags = { person: ['person'] };

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
    async (request) => ({
      ...(await deps.certifications.issueNonce(request.ip)),
      encryptionJwk: deps.evidence.encryptionJwk,
    }),
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
        response: { ...Errors, ...errorResponses(410, 422) },
      },
    },
    async (request) => collectedView(await deps.certifications.collect(request.body.request)),
  );
}

/** The officers' side: the queue, approval with a level, rejection with a reason. */
function reviewRoutes(app: FastifyInstance, deps: CertifierRouteDeps): void {
  const officer = officerOf(deps.directory);
  const tags = { officer: ['officer'] };
  const secured = SECURED;

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
}

export function certificationRoutes(app: FastifyInstance, deps: CertifierRouteDeps): void {
  personRoutes(app, deps);
  reviewRoutes(app, deps);
}
