import type { FastifyInstance } from 'fastify';
import type { Static } from '@sinclair/typebox';
import { OfficerBody } from '../../../protocol/src/http';
import { authenticate, type TokenDirectory } from '../http/auth';
import { errorBodySchema } from '../http/app';
import type { HsmIdentity } from '../../../gateway/src/fabric';
import type { Officer } from './officers';

/** An officer with the Fabric identity the HSM holds the key of. */
export interface EnrolledOfficer extends Officer {
  readonly identity: HsmIdentity;
}

/** Enrolls officers (register with fabric-ca, key generated in the HSM) and lists them: admin only. */
export interface OfficerEnrollment {
  enroll(name: string): Promise<{ officer: EnrolledOfficer; token: string }>;
  list(): Promise<readonly EnrolledOfficer[]>;
}

function view(officer: EnrolledOfficer): Record<string, string> {
  return { name: officer.name, mspId: officer.identity.mspId, ski: officer.identity.ski, createdAt: officer.createdAt };
}

/** Adds `POST /v1/officers` and `GET /v1/officers`, both for the admin token only. */
export function officerRoutes(app: FastifyInstance, directory: TokenDirectory, officers: OfficerEnrollment): void {
  const secured = [{ bearer: [] }];
  app.post<{ Body: Static<typeof OfficerBody> }>(
    '/v1/officers',
    {
      schema: {
        tags: ['admin'],
        security: secured,
        summary: 'Enroll an officer: fabric-ca identity with the role attribute, key generated in the HSM',
        body: OfficerBody,
        response: { 409: errorBodySchema },
      },
    },
    async (request, reply) => {
      await authenticate(request, directory, ['admin']);
      const { officer, token } = await officers.enroll(request.body.name);
      return reply.status(201).send({ ...view(officer), certificate: officer.identity.certificatePem, token });
    },
  );
  app.get(
    '/v1/officers',
    { schema: { tags: ['admin'], security: secured, summary: 'List officers' } },
    async (request) => {
      await authenticate(request, directory, ['admin']);
      return (await officers.list()).map(view);
    },
  );
}
