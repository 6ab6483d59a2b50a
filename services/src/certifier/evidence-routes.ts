import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { MAX_EVIDENCE_JWE_LENGTH } from '../../../protocol/src';
import { CertificationIdParams, EvidenceAnswer, EvidenceBody } from '../../../protocol/src/http';
import { errorResponses, publicRateLimit } from '../http/app';
import type { CertifierRouteDeps } from './route-deps';

/**
 * `/v1/certifications/:id/evidence`: the person sends their document photo, selfie or chip files for their
 * pending certification (docs/intake.md). Public and rate limited; the JWE is opened with the certifier's HSM
 * key and the request inside must be signed by the person's key.
 */

const Errors = errorResponses(400, 401, 403, 404, 409, 410, 413, 422, 503, 507);

export function evidenceRoutes(app: FastifyInstance, deps: CertifierRouteDeps): void {
  app.post<{ Params: { id: string }; Body: Static<typeof EvidenceBody> }>(
    '/v1/certifications/:id/evidence',
    {
      config: publicRateLimit(deps.rateLimitPerMinute),
      // Photos are large: this route alone takes bodies up to the evidence JWE's limit.
      bodyLimit: MAX_EVIDENCE_JWE_LENGTH + 1024,
      schema: {
        tags: ['person'],
        summary:
          "Send the document photo, selfie or chip files (a JWE to the certifier's key, signed inside by the person's key); checked in memory, only the evidence is kept",
        params: CertificationIdParams,
        body: EvidenceBody,
        response: { 200: EvidenceAnswer, ...Errors },
      },
    },
    (request) => deps.evidence.submit(request.params.id, request.body.jwe),
  );
}
