import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { PAGES_DIR } from '../services/src/web/pages';
import { MAX_SHORT_QR_VERSION, requestUriOf, shortQrVersion } from '../services/src/web/short-qr';
import { webConfig } from '../services/src/web/web-config';
import { loadNetworkConfig, networkConfigPath, serviceOf } from '../gateway/src/fabric';

/**
 * `./kyc bench web`: the web pages' budgets (docs/web.md), measured once, not in a loop: the weight of every
 * built file (raw and gzipped; the wallet's JavaScript must stay ≤ 250 KB gzipped), the short QR's version at
 * level M for this instance's bank URL (≤ 10), and, when the wallet's server runs, the time from navigation
 * to the wallet being ready to scan in Debian's Chromium, cold (empty cache) and warm (service worker).
 */

const WALLET_JS_BUDGET_KB = 250;
const READY_BUDGET_MS = 2000;
const kb = (bytes: number): string => (bytes / 1024).toFixed(1);

function pageWeights(): { rows: string[]; walletJsGz: number } {
  const rows = ['| file | raw KB | gzipped KB |', '|---|---:|---:|'];
  let walletJsGz = 0;
  for (const app of readdirSync(PAGES_DIR).sort()) {
    for (const file of readdirSync(join(PAGES_DIR, app)).sort()) {
      const path = join(PAGES_DIR, app, file);
      if (!statSync(path).isFile()) continue;
      const bytes = readFileSync(path);
      const gz = gzipSync(bytes, { level: 9 }).length;
      if (app === 'wallet' && file.endsWith('.js')) walletJsGz += gz;
      rows.push(`| ${app}/${file} | ${kb(bytes.length)} | ${kb(gz)} |`);
    }
  }
  return { rows, walletJsGz };
}

async function readyTimes(walletUrl: string): Promise<{ cold: number; warm: number } | string> {
  const health = await fetch(`${walletUrl}/healthz`).catch(() => undefined);
  if (health?.ok !== true) return `the wallet server is not running at ${walletUrl} (./kyc start)`;
  const args = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
  const browser = await chromium.launch({ executablePath: process.env.KYC_CHROMIUM ?? '/usr/bin/chromium', args });
  try {
    const page = await (await browser.newContext({ viewport: { width: 390, height: 844 } })).newPage();
    const time = async (load: () => Promise<unknown>): Promise<number> => {
      const start = Date.now();
      await load();
      await page.waitForSelector('body[data-ready=true]');
      return Date.now() - start;
    };
    const cold = await time(() => page.goto(`${walletUrl}/`));
    await page.waitForFunction('navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready');
    const warm = await time(() => page.reload());
    return { cold, warm };
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const config = webConfig();
  const { rows, walletJsGz } = pageWeights();
  process.stdout.write(`\nWeb pages (dist/web-pages)\n\n${rows.join('\n')}\n\n`);
  const jsOk = walletJsGz / 1024 <= WALLET_JS_BUDGET_KB;
  process.stdout.write(
    `wallet JavaScript: ${kb(walletJsGz)} KB gzipped (budget ${WALLET_JS_BUDGET_KB} KB): ${jsOk ? 'ok' : 'OVER'}\n`,
  );
  const bankUrl = serviceOf(loadNetworkConfig(networkConfigPath()), 'bank').url;
  const version = shortQrVersion(requestUriOf(bankUrl, 'Vq3cV2dQm0pG8nFh5w1x3A'));
  const qrOk = version <= MAX_SHORT_QR_VERSION;
  process.stdout.write(
    `short QR for ${bankUrl}: version ${version} at level M (budget ${MAX_SHORT_QR_VERSION}): ${qrOk ? 'ok' : 'OVER'}\n`,
  );
  const ready = await readyTimes(config.walletUrl);
  if (typeof ready === 'string') process.stdout.write(`wallet ready to scan: not measured, ${ready}\n`);
  else {
    const ok = ready.cold <= READY_BUDGET_MS;
    process.stdout.write(
      `wallet ready to scan after load: ${ready.cold} ms cold, ${ready.warm} ms warm (budget ${READY_BUDGET_MS} ms): ${ok ? 'ok' : 'OVER'}\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench web failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
