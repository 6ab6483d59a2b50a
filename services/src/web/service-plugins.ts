import type { FastifyInstance } from 'fastify';
import type { TokenDirectory } from '../http/auth';
import type { RegistrationService, VerifiedPerson } from '../bank/registrations';
import { bankWebRoutes } from './bank-web';
import { officerWeb, webConfig } from './web-config';
import { Webhook, webhookSecret } from './webhook';

/**
 * The two hooks the services call (kept here so the services' own files change by a few lines): each wraps
 * the service's routes with its officer pages, sessions and web security.
 */

type Routes = (directory: TokenDirectory) => (app: FastifyInstance) => void;

export function certifierWithConsole(
  directory: TokenDirectory,
  routes: Routes,
): (app: FastifyInstance) => Promise<void> {
  return async (app) => {
    routes(await officerWeb(app, 'console', directory))(app);
  };
}

export interface BankWebHooks {
  /** Wraps the bank's routes with the desk, the short-QR and status routes. */
  readonly plugin: (
    registrations: RegistrationService,
    publicUrl: string,
    rateLimitPerMinute: number,
  ) => (app: FastifyInstance) => Promise<void>;
  /** For RegistrationService's `onVerified`: the signed callback, if configured. */
  readonly onVerified: (id: string, verified: VerifiedPerson) => void;
}

export function bankWithDesk(directory: TokenDirectory, dataDir: string, routes: Routes): BankWebHooks {
  const config = webConfig();
  const webhook =
    config.webhookUrl === undefined
      ? undefined
      : new Webhook({
          url: config.webhookUrl,
          secret: webhookSecret(dataDir, process.env.KYC_WEBHOOK_SECRET),
          // One line per failed attempt, by status only: never the body, the URL or the secret.
          onFailure: (attempt, status) => {
            process.stdout.write(
              `${JSON.stringify({ level: 40, time: Date.now(), attempt, status, msg: 'webhook delivery failed' })}\n`,
            );
          },
        });
  return {
    plugin: (registrations, publicUrl, rateLimitPerMinute) => async (app) => {
      const web = await officerWeb(app, 'desk', directory, config);
      bankWebRoutes({ registrations, directory: web, publicUrl, rateLimitPerMinute })(app);
      routes(web)(app);
    },
    onVerified: (id, v) => {
      void webhook?.deliver({
        event: 'registration.verified',
        registrationId: id,
        verifiedAt: v.verifiedAt,
        certifier: v.certifier,
        level: v.level,
        claims: Object.keys(v.claims).sort(),
        txId: v.txId,
      });
    },
  };
}
