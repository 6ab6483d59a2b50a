import type { FastifyInstance } from 'fastify';
import { officerRoutes } from '../common/officer-routes';
import { attestationRoutes } from './attestation-routes';
import { certificationRoutes } from './certification-routes';
import { evidenceRoutes } from './evidence-routes';
import type { CertifierRouteDeps } from './route-deps';

export type { CertifierRouteDeps } from './route-deps';

/** The certifier service's HTTP API (docs/services.md), one file per resource. Public endpoints are rate limited. */
export function certifierRoutes(deps: CertifierRouteDeps): (app: FastifyInstance) => void {
  return (app: FastifyInstance): void => {
    certificationRoutes(app, deps);
    evidenceRoutes(app, deps);
    attestationRoutes(app, deps);
    officerRoutes(app, deps.directory, deps.officers);
    app.addHook('onClose', () => deps.evidence.close());
  };
}
