import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import {
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  type RegistrationReference,
} from '../../protocol/src/http/web-api';
import {
  certifyPerson,
  enrollOfficer,
  freshOfficerName,
  openRegistration,
  present,
  scanRegistration,
} from '../../demo/src/flow';
import { trustBundleFromNetwork } from '../../gateway/src/fabric/trust-bundle';
import { createPersonKey } from '../../wallet/src';
import { verifyWebhook } from '../../services/src/web/webhook';
import { uniqueDocumentHolder } from '../../intake/testing/person';
import { launch, screenshot } from '../support/browser';
import { networkJsonPath } from '../support/network';
import { ensureServices, restartServices, type RunningServices } from '../support/services';

/**
 * The bank's own account-opening page on the real services: the embeddable widget shows a registration's QR
 * and follows its public status live (from another origin, in Chromium), and the signed callback reaches
 * the back office: one POST per verified registration, HMAC-signed over the exact body, retried with backoff
 * when the receiver fails, never repeated once delivered, and never carrying a claim value.
 */

interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

describe('integration (browser): the bank’s own page, embedded widget and signed callback', function () {
  this.timeout(180_000);
  const secret = randomBytes(32).toString('base64url');
  const deliveries: Delivery[] = [];
  let receiver: Server | undefined;
  let services: RunningServices;
  let walletDir: string;
  let browser: Browser | undefined;
  let page: Page;
  let origin: string;
  /** The bank's own page, as its back end would render it around a registration reference. */
  let embedPage = '';

  before(async () => {
    services = ensureServices();
    walletDir = mkdtempSync(join(tmpdir(), 'kyc-webhook-'));
    // The receiver fails its first delivery, then accepts.
    receiver = createServer((request, response) => {
      if (request.method === 'GET') {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(embedPage);
        return;
      }
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const status = deliveries.length === 0 ? 500 : 204;
        deliveries.push({ headers: request.headers, body, status });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    await restartServices({
      KYC_WEBHOOK_URL: `${origin}/kyc`,
      KYC_WEBHOOK_SECRET: secret,
      KYC_EMBED_ORIGINS: origin,
    });
    browser = await launch();
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    // The usual configuration again, also when a test failed.
    await restartServices({});
    await new Promise((resolve) => receiver?.close(resolve));
    rmSync(walletDir, { recursive: true, force: true });
    (services as RunningServices | undefined)?.release();
  });

  it('the widget follows the status live; the callback arrives once, verifies, and is retried after a failure', async () => {
    const certOfficer = await enrollOfficer(
      services.certifierUrl,
      services.certifierAdminToken,
      freshOfficerName('hook'),
    );
    const bankOfficer = await enrollOfficer(services.bankUrl, services.bankAdminToken, freshOfficerName('hook'));
    const key = await createPersonKey(walletDir);
    const { claims, evidence } = await uniqueDocumentHolder();
    const { credential } = await certifyPerson({
      certifierUrl: services.certifierUrl,
      officer: certOfficer,
      key,
      claims,
      level: 2,
      evidence,
    });
    const opened = await openRegistration(bankOfficer, { claims: ['given_name', 'family_name'], purpose: 'Webhook' });
    // The bank's back end puts the short reference into its own page; the widget comes from the bank service.
    const reference = await bankOfficer.get<RegistrationReference>(
      `/v1/registrations/${opened.registrationId}/reference`,
    );
    embedPage = `<!doctype html><html lang="en"><head><title>Open an account</title></head><body><main>
      <h1>Open an account</h1><div id="kyc" data-kyc-registration data-request-uri="${reference.requestUri}"
      data-qr="${reference.qrPng}"></div><script src="${services.bankUrl}/desk/kyc-embed.js"></script></main></body></html>`;
    page = await (await (browser as Browser).newContext()).newPage();
    await page.goto(`${origin}/account`);
    await page.waitForSelector('#kyc[data-status=pending] img');
    await screenshot(page, 'embed-pending');

    const registration = scanRegistration(opened.png, trustBundleFromNetwork(networkJsonPath(), ['BankMSP']));
    await present({ key, credential, registration, claimNames: ['given_name', 'family_name'] });
    await page.waitForSelector('#kyc[data-status=verified]', { timeout: 20_000 });
    assert.match((await page.textContent('#kyc')) ?? '', /Verified/);
    for (const value of Object.values(claims))
      assert.ok(!(await page.content()).includes(value), 'no claim value on the page');
    await screenshot(page, 'embed-verified');

    const deadline = Date.now() + 15_000;
    while (deliveries.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    // Long enough for a third attempt at the first backoff step, had there been one.
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(
      deliveries.map((d) => d.status),
      [500, 204],
    );
    for (const d of deliveries) {
      assert.equal(d.headers[WEBHOOK_DELIVERY_HEADER], opened.registrationId);
      const signature = String(d.headers[WEBHOOK_SIGNATURE_HEADER]);
      assert.ok(verifyWebhook(secret, d.body, signature, Math.floor(Date.now() / 1000)), 'signature verifies');
      assert.ok(!verifyWebhook(secret, `${d.body} `, signature, Math.floor(Date.now() / 1000)), 'bound to the body');
      const body = JSON.parse(d.body) as Record<string, unknown>;
      assert.equal(body.event, 'registration.verified');
      assert.equal(body.registrationId, opened.registrationId);
      assert.deepEqual(body.claims, ['family_name', 'given_name']);
      assert.equal(body.level, 2);
      for (const value of Object.values(claims)) assert.ok(!d.body.includes(value), 'no claim value in the callback');
    }
  });
});
