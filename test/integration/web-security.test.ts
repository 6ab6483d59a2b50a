import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import QRCode from 'qrcode';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { signJws, TYP } from '../../protocol/src';
import { CSRF_HEADER } from '../../protocol/src/http/web-api';
import {
  axeViolations,
  enrollOfficer,
  ensureWalletWeb,
  launch,
  PHONE,
  screenshot,
  type WebUrls,
} from '../support/browser';
import { ensureServices, type RunningServices } from '../support/services';
import { createTestCa, type TestCa } from '../support/test-ca';

/**
 * The web pages' security on the real services and in real Chromium: sessions and CSRF, the CSP, CORS, the
 * wallet's non-extractable keys and sealed storage, and the wallet's refusals of bad codes, each shown to the
 * person with nothing sent to a bank.
 */

const id = (): string => randomBytes(16).toString('base64url');

async function sessionCookie(baseUrl: string, token: string): Promise<{ cookie: string; csrf: string; raw: string }> {
  const response = await fetch(`${baseUrl}/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  assert.equal(response.status, 201);
  const raw = response.headers.get('set-cookie') ?? '';
  const csrf = ((await response.json()) as { csrf: string }).csrf;
  return { cookie: raw.split(';')[0] ?? '', csrf, raw };
}

describe('integration (browser): web security of the wallet, desk and console', function () {
  this.timeout(180_000);
  let services: RunningServices;
  let web: WebUrls;
  let browser: Browser | undefined;
  let ca: TestCa | undefined;
  const contexts: BrowserContext[] = [];
  let bankToken: string;
  let certifierToken: string;

  async function newPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    if (browser === undefined) throw new Error('no browser');
    const context = await browser.newContext(options);
    contexts.push(context);
    return context.newPage();
  }

  before(async () => {
    services = ensureServices();
    web = ensureWalletWeb();
    bankToken = await enrollOfficer(services.bankUrl, services.bankAdminToken, 'web-sec-verifier');
    certifierToken = await enrollOfficer(services.certifierUrl, services.certifierAdminToken, 'web-sec-officer');
    browser = await launch();
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    ca?.dispose();
    (web as WebUrls | undefined)?.release();
    (services as RunningServices | undefined)?.release();
  });

  it('officer pages without a session redirect to sign-in', async () => {
    for (const [url, app] of [
      [web.bank, 'desk'],
      [web.certifier, 'console'],
    ] as const) {
      const response = await fetch(`${url}/${app}/`, { redirect: 'manual' });
      assert.equal(response.status, 303);
      assert.equal(response.headers.get('location'), `/${app}/signin.html`);
      const page = await newPage();
      await page.goto(`${url}/${app}/`);
      assert.match(page.url(), /signin\.html$/);
      assert.deepEqual(await axeViolations(page), [], `${app} sign-in`);
      await screenshot(page, `${app}-signin`);
    }
  });

  it('the session is an HttpOnly, SameSite=Strict cookie; a sign-in from another origin is refused', async () => {
    const { raw } = await sessionCookie(web.bank, bankToken);
    assert.match(raw, /HttpOnly/i);
    assert.match(raw, /SameSite=Strict/i);
    const foreign = await fetch(`${web.bank}/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ token: bankToken }),
    });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.headers.get('set-cookie'), null);
  });

  it('a state change with the session cookie but without the CSRF header is refused and changes nothing', async () => {
    const { cookie, csrf } = await sessionCookie(web.bank, bankToken);
    const body = JSON.stringify({ claims: ['given_name'], purpose: 'CSRF check' });
    const headers = { cookie, 'content-type': 'application/json' };
    const refused = await fetch(`${web.bank}/v1/registrations`, { method: 'POST', headers, body });
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'KYC_FORBIDDEN');
    const wrong = await fetch(`${web.bank}/v1/registrations`, {
      method: 'POST',
      headers: { ...headers, [CSRF_HEADER]: 'x'.repeat(43) },
      body,
    });
    assert.equal(wrong.status, 403);
    const allowed = await fetch(`${web.bank}/v1/registrations`, {
      method: 'POST',
      headers: { ...headers, [CSRF_HEADER]: csrf },
      body,
    });
    assert.equal(allowed.status, 201);
    // The certifier's decisions too.
    const c = await sessionCookie(web.certifier, certifierToken);
    const approve = await fetch(`${web.certifier}/v1/certifications/${id()}/approve`, {
      method: 'POST',
      headers: { cookie: c.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ level: 1 }),
    });
    assert.equal(approve.status, 403);
  });

  it('every page has a strict CSP (no inline script) and the security headers; an injected inline script does not run', async () => {
    for (const url of [`${web.wallet}/`, `${web.bank}/desk/signin.html`, `${web.certifier}/console/signin.html`]) {
      const response = await fetch(url);
      const csp = response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'(;|$)/, url);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, url);
      assert.match(csp, /frame-ancestors 'none'/, url);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff', url);
    }
    const page = await newPage();
    await page.goto(`${web.bank}/desk/signin.html`);
    const ran = await page.evaluate(() => {
      const g = globalThis as unknown as {
        document: { createElement(t: string): { textContent: string }; head: { append(n: unknown): void } };
        injected?: boolean;
      };
      const script = g.document.createElement('script');
      script.textContent = 'globalThis.injected = true';
      g.document.head.append(script);
      return g.injected === true;
    });
    assert.equal(ran, false);
  });

  it('CORS: the wallet origin may call the public endpoints only; other origins get no CORS headers', async () => {
    const preflight = (url: string, origin: string): Promise<Response> =>
      fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    const ok = await preflight(`${web.certifier}/v1/certifications/nonce`, web.wallet);
    assert.equal(ok.headers.get('access-control-allow-origin'), web.wallet);
    const evil = await preflight(`${web.certifier}/v1/certifications/nonce`, 'http://evil.example');
    assert.equal(evil.headers.get('access-control-allow-origin'), null);
    const officerOnly = await preflight(`${web.bank}/v1/registrations`, web.wallet);
    assert.equal(officerOnly.headers.get('access-control-allow-origin'), null);
  });

  it("the wallet's keys (signing and sealing) cannot be exported", async () => {
    const page = await newPage({ viewport: PHONE });
    await page.goto(`${web.wallet}/`);
    await page.waitForSelector('body[data-ready=true]');
    const result = await page.evaluate(async () => {
      const g = globalThis as unknown as {
        indexedDB: { open(n: string): { onsuccess: () => void; result: unknown } };
        crypto: { subtle: { exportKey(f: string, k: unknown): Promise<unknown> } };
      };
      const db = await new Promise<{
        transaction(s: string): {
          objectStore(s: string): { get(k: string): { onsuccess: () => void; result: unknown } };
        };
      }>((resolve) => {
        const open = g.indexedDB.open('kyc-wallet');
        open.onsuccess = () => {
          resolve(open.result as never);
        };
      });
      const get = (key: string) =>
        new Promise<unknown>((resolve) => {
          const r = db.transaction('kv').objectStore('kv').get(key);
          r.onsuccess = () => {
            resolve(r.result);
          };
        });
      const person = (await get('personKey')) as { privateKey: { extractable: boolean } };
      const sealing = (await get('sealingKey')) as { extractable: boolean };
      const refusals: string[] = [];
      for (const [format, key] of [
        ['pkcs8', person.privateKey],
        ['jwk', person.privateKey],
        ['raw', sealing],
      ] as const) {
        await g.crypto.subtle.exportKey(format, key).then(
          () => refusals.push('exported'),
          (err: unknown) => refusals.push((err as { name: string }).name),
        );
      }
      return { extractable: [person.privateKey.extractable, sealing.extractable], refusals };
    });
    assert.deepEqual(result.extractable, [false, false]);
    assert.deepEqual(result.refusals, ['InvalidAccessError', 'InvalidAccessError', 'InvalidAccessError']);
  });

  describe('the wallet refuses bad codes, says why, and sends nothing', () => {
    let page: Page;
    const posted: string[] = [];

    async function scanImage(text: string): Promise<string> {
      const png = await QRCode.toBuffer(text, { errorCorrectionLevel: 'M', scale: 6 });
      await page.click('#go-scan');
      await page.setInputFiles('#qr-file', { name: 'qr.png', mimeType: 'image/png', buffer: png });
      // The camera's own refusal is shown first (this browser has none): wait for the code's verdict.
      await page.waitForSelector('#scan-state.error:text-matches("cannot be used|No QR code")', { timeout: 20_000 });
      const message = (await page.textContent('#scan-state')) ?? '';
      await page.click('section[data-screen=scan] [data-home]');
      return message;
    }

    before(async () => {
      // No fake camera: this browser has none, like a phone whose camera is refused.
      page = await newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
      page.on('request', (request) => {
        if (request.method() === 'POST' && request.url().includes('/presentation')) posted.push(request.url());
      });
      await page.goto(`${web.wallet}/`);
      await page.waitForSelector('body[data-ready=true]');
    });

    it('a camera that is refused or absent: a message, and the photo path still works', async () => {
      await page.click('#go-scan');
      await page.waitForSelector('#scan-state.error');
      assert.match((await page.textContent('#scan-state')) ?? '', /camera is not available/);
      assert.deepEqual(await axeViolations(page), []);
      await screenshot(page, 'wallet-camera-refused');
      await page.click('section[data-screen=scan] [data-home]');
    });

    it('a QR that is not a registration', async () => {
      assert.match(await scanImage('hello, this is not a bank'), /not a bank registration/);
    });

    it('a request signed by a key outside the trust list', async () => {
      ca = createTestCa('Evil Bank CA');
      const leaf = ca.issue({ commonName: 'mallory', ou: 'client', attributes: { 'kyc.role': 'bank-verifier' } });
      const registrationId = id();
      const iat = Math.floor(Date.now() / 1000);
      const jws = await signJws(
        { typ: TYP.registration, x5c: [leaf.derBase64] },
        {
          iss: 'BankMSP',
          registration_id: registrationId,
          nonce: id(),
          iat,
          exp: iat + 600,
          endpoint: `${web.bank}/v1/registrations/${registrationId}/presentation`,
          claims: ['given_name'],
          min_level: 2,
          enc_jwk: { kty: 'EC', crv: 'P-256', x: 'A'.repeat(43), y: 'A'.repeat(43) },
          purpose: 'Forged',
        },
        leaf.sign,
      );
      const requestUri = `${web.bank}/v1/registrations/${registrationId}/request`;
      // The forged request is answered as if from the bank's origin (which the wallet's CSP allows).
      await page.route(requestUri, (route) =>
        route.fulfill({
          status: 200,
          contentType: 'application/oauth-authz-req+jwt',
          headers: { 'access-control-allow-origin': web.wallet },
          body: jws,
        }),
      );
      const message = await scanImage(requestUri);
      assert.match(message, /not issued by a CA on the trust list/);
      await page.unroute(requestUri);
    });

    it('a registration already used or expired, and a bank that cannot be reached', async () => {
      const unknown = `${web.bank}/v1/registrations/${id()}/request`;
      assert.match(await scanImage(unknown), /cannot be used/);
      const offline = `${web.bank}/v1/registrations/${id()}/request`;
      await page.route(offline, (route) => route.abort('connectionrefused'));
      assert.match(await scanImage(offline), /cannot reach/);
      await page.unroute(offline);
    });

    it('nothing was posted to any bank, and the wallet is still usable', async () => {
      assert.deepEqual(posted, []);
      await page.click('#go-certify');
      await page.waitForSelector('section[data-screen=certify]:not([hidden])');
      assert.deepEqual(await axeViolations(page), []);
    });
  });
});
