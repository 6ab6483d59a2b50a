import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WEBHOOK_DELIVERY_HEADER, WEBHOOK_SIGNATURE_HEADER } from '../../protocol/src/web-messages';
import {
  certifyPerson,
  enrollOfficer,
  freshOfficerName,
  openRegistration,
  present,
  scanRegistration,
} from '../../demo/src/flow';
import { trustBundleFromNetwork } from '../../demo/src/trust-bundle';
import { createPersonKey } from '../../wallet/src';
import { verifyWebhook } from '../../web/server/webhook';
import { uniqueClaims } from '../../protocol/testing/simulated-person';
import { networkJsonPath } from '../support/network';
import { ensureServices, restartServices, type RunningServices } from '../support/services';

/**
 * The bank's signed callback on the real services: one POST per verified registration to the back office's
 * receiver, HMAC-signed over the exact body, retried with backoff when the receiver fails, never repeated
 * once delivered, and never carrying a claim value.
 */

interface Delivery {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly status: number;
}

describe('integration: the bank’s signed callback (webhook)', function () {
  this.timeout(180_000);
  const secret = randomBytes(32).toString('base64url');
  const deliveries: Delivery[] = [];
  let receiver: Server | undefined;
  let services: RunningServices;
  let walletDir: string;

  before(async () => {
    services = ensureServices();
    walletDir = mkdtempSync(join(tmpdir(), 'kyc-webhook-'));
    // The receiver fails its first delivery, then accepts.
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const status = deliveries.length === 0 ? 500 : 204;
        deliveries.push({ headers: request.headers, body, status });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver?.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    await restartServices({ KYC_WEBHOOK_URL: `http://127.0.0.1:${port}/kyc`, KYC_WEBHOOK_SECRET: secret });
  });

  after(async () => {
    // The usual configuration again, also when a test failed.
    await restartServices({});
    await new Promise((resolve) => receiver?.close(resolve));
    rmSync(walletDir, { recursive: true, force: true });
    (services as RunningServices | undefined)?.release();
  });

  it('arrives once per verified registration, verifies, and is retried after the receiver fails once', async () => {
    const certOfficer = await enrollOfficer(
      services.certifierUrl,
      services.certifierAdminToken,
      freshOfficerName('hook'),
    );
    const bankOfficer = await enrollOfficer(services.bankUrl, services.bankAdminToken, freshOfficerName('hook'));
    const key = await createPersonKey(walletDir);
    const claims = uniqueClaims();
    const { credential } = await certifyPerson({
      certifierUrl: services.certifierUrl,
      officer: certOfficer,
      key,
      claims,
      level: 2,
    });
    const opened = await openRegistration(bankOfficer, { claims: ['given_name', 'family_name'], purpose: 'Webhook' });
    const registration = scanRegistration(opened.png, trustBundleFromNetwork(networkJsonPath(), ['BankMSP']));
    await present({ key, credential, registration, claimNames: ['given_name', 'family_name'] });

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
