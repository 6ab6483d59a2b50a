import type { FastifyInstance } from 'fastify';
import type { TokenDirectory } from '../http/auth';
import { BANK_PUBLIC_PATHS } from './bank-web';
import { registerOfficerWeb, withSessions } from './officer-web';
import { SessionStore } from './sessions';

/**
 * Settings of the web pages (docs/web.md lists them): where the wallet is served, where the services are, the
 * bank's callback. Read from the environment like the services' own configuration.
 */

export interface WebConfig {
  /** The wallet's origin (`KYC_WALLET_URL`, default http://127.0.0.1:8090 + offset); CORS allows it alone. */
  readonly walletUrl: string;
  /** `KYC_WEBHOOK_URL`: where the bank posts its signed callback; unset: no callback. */
  readonly webhookUrl: string | undefined;
  /** `KYC_EMBED_ORIGINS`: comma-separated origins of the bank's own pages that embed the widget. */
  readonly embedOrigins: readonly string[];
  /** `KYC_SESSION_SECONDS` (default 8 h). */
  readonly sessionSeconds: number;
  /** `KYC_COOKIE_SECURE=1` behind TLS. */
  readonly secureCookie: boolean;
}

const trimmed = (url: string): string => url.replace(/\/+$/, '');

export function webConfig(env: NodeJS.ProcessEnv = process.env): WebConfig {
  const offset = Number(env.KYC_PORT_OFFSET ?? '0');
  const local = (port: number): string => `http://127.0.0.1:${port + offset}`;
  return {
    walletUrl: trimmed(env.KYC_WALLET_URL ?? local(8090)),
    webhookUrl: env.KYC_WEBHOOK_URL === undefined || env.KYC_WEBHOOK_URL === '' ? undefined : env.KYC_WEBHOOK_URL,
    embedOrigins: (env.KYC_EMBED_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== '')
      .map((o) => new URL(o).origin),
    sessionSeconds: Number(env.KYC_SESSION_SECONDS ?? 8 * 3600),
    secureCookie: env.KYC_COOKIE_SECURE === '1',
  };
}

const CERTIFIER_PUBLIC_PATHS = [
  { method: 'POST', path: /^\/v1\/certifications(\/nonce|\/collect)?$/ },
  { method: 'POST', path: /^\/v1\/certifications\/[A-Za-z0-9._:-]{1,128}\/evidence$/ },
  { method: 'GET', path: /^\/v1\/certifications\/[A-Za-z0-9._:-]{1,128}$/ },
] as const;

/**
 * Adds the officer's pages (`desk` at the bank, `console` at the certifier) to a service's routes plugin and
 * returns the token directory its routes should authenticate with (bearer tokens and session cookies).
 */
export async function officerWeb(
  app: FastifyInstance,
  page: 'desk' | 'console',
  directory: TokenDirectory,
  config: WebConfig = webConfig(),
): Promise<TokenDirectory> {
  const sessions = new SessionStore(config.sessionSeconds);
  await registerOfficerWeb(app, {
    app: page,
    directory,
    sessions,
    secureCookie: config.secureCookie,
    walletOrigin: new URL(config.walletUrl).origin,
    ...(page === 'desk' ? { embedOrigins: config.embedOrigins } : {}),
    publicPaths: page === 'desk' ? BANK_PUBLIC_PATHS : CERTIFIER_PUBLIC_PATHS,
  });
  return withSessions(directory, sessions);
}
