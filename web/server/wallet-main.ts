import { resolve } from 'node:path';
import Fastify from 'fastify';
import type { WalletConfig } from '../../protocol/src/http/web-api';
import { trustBundleFromNetwork } from '../../demo/src/trust-bundle';
import { servePages } from './pages';
import { registerWebSecurity } from './security';
import { webConfig } from './web-config';
import { requestLogFields } from '../../services/src/http/app';

/**
 * The wallet's own origin (`node dist/web/server/wallet-main.js`, started by web/web.sh): static files only
 * (the PWA, its service worker and manifest) and `/config.json` with the certifier's URL and the trust list,
 * the BankMSP CA certificates read from the channel's MSP as `./kyc trust` prints them. It holds no state: the
 * person's key and credentials live in their browser. The CSP lets the page talk to the consortium's services
 * only.
 */

async function main(): Promise<void> {
  const config = webConfig();
  const offset = Number(process.env.KYC_PORT_OFFSET ?? '0');
  const port = Number(process.env.KYC_WALLET_PORT ?? 8090 + offset);
  const instance = process.env.KYC_INSTANCE ?? 'main';
  const networkConfig = resolve(
    process.env.KYC_NETWORK_CONFIG ?? resolve(__dirname, `../../../crypto-config/generated/${instance}/network.json`),
  );
  const walletConfig: WalletConfig = {
    certifierUrl: config.certifierUrl,
    trust: trustBundleFromNetwork(networkConfig, ['BankMSP']),
  };
  // Logged as method and route pattern, never the URL (as the services do).
  const app = Fastify({
    logger: { level: process.env.KYC_LOG_LEVEL ?? 'info', serializers: { req: requestLogFields } },
  });
  await registerWebSecurity(app, { connectSrc: [config.certifierUrl, config.bankUrl] });
  await servePages(app, 'wallet', '/', { index: true });
  app.get('/config.json', (_request, reply) => reply.header('cache-control', 'no-cache').send(walletConfig));
  app.get('/healthz', () => ({ status: 'ok' }));
  const shutdown = (): void => {
    void app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  await app.listen({ host: process.env.KYC_HOST ?? '127.0.0.1', port });
}

main().catch((err: unknown) => {
  process.stderr.write(`wallet server failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
