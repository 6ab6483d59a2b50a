import Fastify from 'fastify';
import type { WalletConfig } from '../../../protocol/src/http/web-api';
import { trustBundleFromNetwork } from '../../../gateway/src/fabric/trust-bundle';
import { loadNetworkConfig, networkConfigPath } from '../../../gateway/src/fabric';
import { servePages } from './pages';
import { registerWebSecurity } from './security';
import { requestLogFields } from '../http/app';

/**
 * The wallet's own origin (`node dist/services/src/web/wallet-main.js`, started by web/web.sh): static files only
 * (the PWA, its service worker and manifest) and `/config.json` with the certifier's URL and the trust list,
 * the BankMSP CA certificates read from the channel's MSP as `./kyc trust` prints them. It holds no state: the
 * person's key and credentials live in their browser. The CSP lets the page talk to the consortium's services
 * only.
 */

/**
 * The consortium's services from network.json (topology.json `services`): every bank's CA is trusted for that
 * bank alone, and the page may talk to every bank and the certifier (its CSP connect-src).
 */
function consortium(networkConfig: string): { walletConfig: WalletConfig; connectSrc: string[] } {
  const services = loadNetworkConfig(networkConfig).services;
  const banks = services.filter((service) => service.kind === 'bank');
  const certifierUrl = process.env.KYC_CERTIFIER_URL ?? services.find((s) => s.kind === 'certifier')?.url;
  const bankUrls = banks.length > 0 ? banks.map((bank) => bank.url) : [process.env.KYC_BANK_URL ?? ''];
  if (certifierUrl === undefined || bankUrls.includes('')) {
    throw new Error(`${networkConfig} lists no certifier or bank service (run network/network.sh up)`);
  }
  const walletConfig: WalletConfig = {
    certifierUrl,
    trust: trustBundleFromNetwork(networkConfig, [...new Set(banks.map((bank) => bank.mspId))]),
  };
  return { walletConfig, connectSrc: [...new Set([certifierUrl, ...bankUrls])] };
}

async function main(): Promise<void> {
  const offset = Number(process.env.KYC_PORT_OFFSET ?? '0');
  const port = Number(process.env.KYC_WALLET_PORT ?? 8090 + offset);
  const networkConfig = networkConfigPath();
  const { walletConfig, connectSrc } = consortium(networkConfig);
  // Logged as method and route pattern, never the URL (as the services do).
  const app = Fastify({
    logger: { level: process.env.KYC_LOG_LEVEL ?? 'info', serializers: { req: requestLogFields } },
  });
  await registerWebSecurity(app, { connectSrc });
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
