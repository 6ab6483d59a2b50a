import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot, suiteInstance } from './network';

/**
 * Real Chromium (Debian's, /usr/bin/chromium) driven by playwright-core for the web tests: no browser download.
 * As root Chromium needs --no-sandbox. A fake camera plays a Y4M file written at test time.
 */

export const CHROMIUM = process.env.KYC_CHROMIUM ?? '/usr/bin/chromium';
/** Where the tests write their screenshots (git-ignored; a few are copied to docs/images). */
export const SCREENSHOTS = join(repoRoot(), 'dist', 'screenshots');
/** A phone-sized viewport for the wallet. */
export const PHONE = { width: 390, height: 844 } as const;

export async function launch(fakeVideo?: string): Promise<Browser> {
  const args = ['--disable-dev-shm-usage', '--no-first-run'];
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  if (fakeVideo !== undefined) {
    args.push(
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${fakeVideo}`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args, headless: true });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * A Y4M video (YUV 4:2:0, a few identical frames; Chromium loops it) showing `png` centred on white, as a
 * camera pointed at the desk's screen would see it.
 */
export function y4mFromPng(png: Buffer, file: string, width = 640, height = 480): void {
  const image = PNG.sync.read(png);
  const scale = Math.min(1, (height - 40) / image.height, (width - 40) / image.width);
  const w = Math.floor(image.width * scale);
  const h = Math.floor(image.height * scale);
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  const luma = Buffer.alloc(width * height, 235);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (Math.floor(y / scale) * image.width + Math.floor(x / scale)) * 4;
      const [r = 255, g = 255, b = 255] = [image.data[i], image.data[i + 1], image.data[i + 2]];
      luma[(top + y) * width + left + x] = Math.round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255);
    }
  }
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from('FRAME\n'), luma, chroma]);
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`);
  writeFileSync(file, Buffer.concat([header, frame, frame, frame, frame, frame]));
}

/** Runs axe-core in the page; returns the serious and critical violations (id and a target each). */
export async function axeViolations(page: Page): Promise<string[]> {
  // Evaluated through DevTools, not injected as an inline script: the pages' CSP stays as it is.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: Record<string, unknown>[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${String(v.id)}: ${JSON.stringify((v.nodes as { target: unknown }[])[0]?.target)}`);
}

export interface WebUrls {
  readonly wallet: string;
  readonly certifier: string;
  readonly bank: string;
  release(): void;
}

/** The wallet's web server (web/web.sh), started here when it is not running; stopped again only if so. */
export function ensureWalletWeb(): WebUrls {
  const offset = Number(process.env.KYC_PORT_OFFSET ?? '0');
  const run = (command: string): number | null =>
    spawnSync('bash', [join(repoRoot(), 'web', 'web.sh'), command], {
      cwd: repoRoot(),
      env: { ...process.env, KYC_INSTANCE: suiteInstance() },
      stdio: 'ignore',
    }).status;
  const started = run('status') !== 0;
  if (started && run('start') !== 0) throw new Error('web/web.sh start failed');
  return {
    wallet: `http://127.0.0.1:${8090 + offset}`,
    certifier: `http://127.0.0.1:${8080 + offset}`,
    bank: `http://127.0.0.1:${8081 + offset}`,
    release: () => {
      if (started) run('stop');
    },
  };
}

/** Enrolls a new officer at a service with its admin token; returns the officer's token. */
export async function enrollOfficer(serviceUrl: string, adminToken: string, prefix: string): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}`;
  const response = await fetch(`${serviceUrl}/v1/officers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (response.status !== 201) throw new Error(`enrolling ${name} failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { token: string }).token;
}

/** Signs a page's context in as an officer through the sign-in page. */
export async function signIn(page: Page, serviceUrl: string, app: 'desk' | 'console', token: string): Promise<void> {
  await page.goto(`${serviceUrl}/${app}/`);
  await page.waitForURL(/signin\.html$/);
  await page.fill('#token', token);
  await page.click('#signin');
  await page.waitForSelector('body[data-ready=true]');
}
