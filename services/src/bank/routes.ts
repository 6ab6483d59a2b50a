import type { FastifyInstance } from 'fastify';
import { officerRoutes } from '../common/officer-routes';
import { personRoutes } from './person-routes';
import { registrationRoutes } from './registration-routes';
import type { BankRouteDeps } from './route-deps';
import { usageRoutes } from './usage-routes';

export type { BankRouteDeps } from './route-deps';

/** The bank service's HTTP API (docs/services.md), one file per resource. The wallet's endpoint is public. */
export function bankRoutes(deps: BankRouteDeps): (app: FastifyInstance) => void {
  return (app: FastifyInstance): void => {
    registrationRoutes(app, deps);
    personRoutes(app, deps);
    usageRoutes(app, deps);
    officerRoutes(app, deps.directory, deps.officers);
  };
}
