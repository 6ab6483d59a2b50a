import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { KycError } from '../../../protocol/src';

/** Where `web/build.mjs` writes the bundled pages (git-ignored): `dist/web-pages/<app>/`. */
export const PAGES_DIR = resolve(__dirname, '../../../web-pages');

export type WebApp = 'wallet' | 'desk' | 'console';

export function pagesOf(name: WebApp): string {
  const dir = join(PAGES_DIR, name);
  if (!existsSync(join(dir, 'index.html'))) {
    throw new KycError('KYC_INTERNAL', `the ${name} pages are not built: run node web/build.mjs (./kyc start does)`);
  }
  return dir;
}

/**
 * Serves one app's built files under `prefix` (no directory listings, no dotfiles). HTML is never cached, so
 * a new build reaches the officers at once; the bundles carry no secret and need no session.
 */
export async function servePages(
  app: FastifyInstance,
  name: WebApp,
  prefix: string,
  opts: { readonly index: boolean },
): Promise<void> {
  await app.register(fastifyStatic, {
    root: pagesOf(name),
    prefix,
    index: opts.index ? ['index.html'] : false,
    dotfiles: 'deny',
    cacheControl: false,
    setHeaders: (res) => {
      res.setHeader('cache-control', 'no-cache');
    },
  });
}
