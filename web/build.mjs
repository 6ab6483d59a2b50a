// Bundles the web pages with esbuild into dist/web-pages/<app>/ (git-ignored): ./kyc start and ./kyc test
// run it (web/web.sh build). Scripts are files, never inline, so the pages run under a CSP without
// 'unsafe-inline'. Prints each bundle's size, raw and gzipped (the wallet's budget is in docs/web.md).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'web', 'app');
const out = join(root, 'dist', 'web-pages');

const apps = {
  wallet: {
    entries: { wallet: 'wallet/main.ts' },
    files: ['wallet/index.html', 'wallet/manifest.webmanifest', 'wallet/icon.svg', 'wallet/sw.js', 'shared/app.css'],
  },
  desk: {
    title: 'Bank desk',
    entries: { desk: 'desk/main.ts', signin: 'shared/signin.ts' },
    files: ['desk/index.html', 'shared/app.css', 'embed/embed.html'],
  },
  console: {
    title: 'Certifier console',
    entries: { console: 'console/main.ts', signin: 'shared/signin.ts' },
    files: ['console/index.html', 'shared/app.css'],
  },
};

rmSync(out, { recursive: true, force: true });
const sizes = [];
for (const [name, { title, entries, files }] of Object.entries(apps)) {
  const dir = join(out, name);
  mkdirSync(dir, { recursive: true });
  const entryPoints = Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, join(app, v)]));
  await build({
    entryPoints,
    outdir: dir,
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    legalComments: 'eof',
    logLevel: 'warning',
  });
  for (const file of files) copyFileSync(join(app, file), join(dir, file.split('/').pop()));
  // The officers' apps share one sign-in page, titled with the app's name (the name is ours, not input).
  if (title !== undefined) {
    const signin = readFileSync(join(app, 'shared', 'signin.html'), 'utf8').replaceAll('{{app}}', title);
    writeFileSync(join(dir, 'signin.html'), signin);
  }
  for (const entry of Object.keys(entries)) {
    const bytes = readFileSync(join(dir, `${entry}.js`));
    sizes.push(
      `${name}/${entry}.js ${(bytes.length / 1024).toFixed(1)} KB, ${(gzipSync(bytes).length / 1024).toFixed(1)} KB gzipped`,
    );
  }
}
// The embeddable script is one file a bank's own page loads from the bank service.
await build({
  entryPoints: { 'kyc-embed': join(app, 'embed', 'kyc-embed.ts') },
  outdir: join(out, 'desk'),
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2022'],
  logLevel: 'warning',
});
console.log(`==> web pages built into dist/web-pages: ${sizes.join('; ')}`);
