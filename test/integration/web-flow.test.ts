import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import {
  axeViolations,
  enrollOfficer,
  ensureWalletWeb,
  launch,
  PHONE,
  screenshot,
  signIn,
  y4mFromPng,
  type WebUrls,
} from '../support/browser';
import { ensureServices, type RunningServices } from '../support/services';
import { syntheticDocumentHolder, type SyntheticPerson } from '../../intake/testing/person';

/**
 * The people's side in a real browser (Debian's Chromium through playwright-core) against the real network:
 * a person asks for certification from the wallet (phone-sized) with a photo of their passport and a selfie,
 * an officer reviews what was read and approves it in the console at the level it supports, a
 * bank officer opens a registration at the desk, the wallet scans the desk's QR through a fake camera (a Y4M
 * video made from the desk's own QR image), consents to two of the three claims, and the desk turns to
 * verified without a reload, showing exactly those two. A claim value that is markup stays text everywhere.
 */

const XSS = '<img src=x onerror=alert(1)>';
/** A detail with no document field behind it: unicode and markup, which must stay text everywhere. */
const ADDRESS = `Zoë Straße 1 ${XSS}`;

interface IDBRequestLike<T> {
  onsuccess: () => void;
  result: T;
}
interface IDBFactoryLike {
  open(name: string): IDBRequestLike<{
    transaction(store: string): { objectStore(store: string): { get(key: string): IDBRequestLike<unknown> } };
  }>;
}

describe('integration (browser): wallet, console and desk end to end', function () {
  this.timeout(240_000);
  let services: RunningServices;
  let web: WebUrls;
  let browser: Browser | undefined;
  let dir: string;
  let video: string;
  const dialogs: string[] = [];
  const contexts: BrowserContext[] = [];
  let wallet: Page;
  let consolePage: Page;
  let desk: Page;
  let holder: SyntheticPerson & { readonly document: Buffer };

  async function newPage(options: Parameters<Browser['newContext']>[0] = {}): Promise<Page> {
    if (browser === undefined) throw new Error('no browser');
    const context = await browser.newContext(options);
    contexts.push(context);
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return page;
  }

  before(async () => {
    services = ensureServices();
    web = ensureWalletWeb();
    dir = mkdtempSync(join(tmpdir(), 'kyc-web-'));
    video = join(dir, 'camera.y4m');
    // The camera file must exist at launch; it shows the desk's QR once the desk has one (the device reads
    // the file again each time the wallet opens the camera).
    y4mFromPng(blankPng(), video);
    browser = await launch(video);
  });

  after(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    (web as WebUrls | undefined)?.release();
    (services as RunningServices | undefined)?.release();
  });

  it('the person asks for certification from the wallet, on a phone-sized screen', async () => {
    wallet = await newPage({ viewport: PHONE, isMobile: true, hasTouch: true });
    await wallet.goto(`${web.wallet}/`);
    await wallet.waitForSelector('body[data-ready=true]');
    assert.match((await wallet.textContent('#did')) ?? '', /^did:key:zDn[1-9A-HJ-NP-Za-km-z]{46}$/);
    await screenshot(wallet, 'wallet-home');
    holder = await syntheticDocumentHolder(31415);
    await wallet.click('#go-certify');
    await wallet.fill('#claim-value-1', holder.claims.given_name ?? '');
    await wallet.fill('#claim-value-2', holder.claims.family_name ?? '');
    await wallet.fill('#claim-value-3', holder.claims.birthdate ?? '');
    await wallet.fill('#claim-value-4', holder.claims.nationality ?? '');
    await wallet.click('#add-claim');
    await wallet.fill('#claim-name-5', 'address');
    await wallet.fill('#claim-value-5', ADDRESS);
    // The photos go from memory straight into the encrypted submission (nothing is written to disk).
    await wallet.setInputFiles('#doc-photo', { name: 'passport.png', mimeType: 'image/png', buffer: holder.document });
    await wallet.setInputFiles('#selfie', { name: 'selfie.jpg', mimeType: 'image/jpeg', buffer: holder.selfie });
    await screenshot(wallet, 'wallet-certify');
    await wallet.click('#certify-form button[type=submit]');
    await wallet.waitForSelector('#pending [data-collect]', { timeout: 60_000 });
    assert.match((await wallet.textContent('#message')) ?? '', /Sent\. .*level 2/);
  });

  it('the certification officer reviews the claims as text beside what the document says, and approves at level 2', async () => {
    const token = await enrollOfficer(services.certifierUrl, services.certifierAdminToken, 'web-officer');
    consolePage = await newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(consolePage, web.certifier, 'console', token);
    const did = (await wallet.textContent('#did')) ?? '';
    const row = consolePage.locator('#queue tr', { hasText: did });
    await row.locator('button').click();
    await consolePage.waitForSelector('section[data-screen=review]:not([hidden])');
    const value = consolePage.locator('#review-claims tr', { hasText: 'address' }).locator('td');
    assert.equal(await value.textContent(), ADDRESS);
    assert.equal(await consolePage.locator('#review-claims img').count(), 0);
    // The evidence: the fields read from the MRZ beside the claims, the face match, the level it supports.
    const read = consolePage.locator('#review-read tr', { hasText: 'family_name' }).locator('td');
    assert.deepEqual(await read.allTextContents(), [holder.claims.family_name, 'same']);
    const evidence = (await consolePage.textContent('#review-evidence')) ?? '';
    assert.match(evidence, /check digits valid/);
    assert.match(evidence, /Facematch against the document photo: distance 0\.\d{3}/);
    assert.match(evidence, /Liveness \(passive\)anti-spoof [01]\.\d\d, liveness [01]\.\d\d: passive scores/);
    assert.match(evidence, /Evidence supportslevel 2/);
    assert.equal(await consolePage.locator('#level option[value="3"]').isDisabled(), true);
    await screenshot(consolePage, 'console-review');
    await consolePage.selectOption('#level', '2');
    await consolePage.click('#approve');
    await consolePage.waitForSelector('#message:has-text("Approved")');
  });

  it('the wallet collects the credential', async () => {
    await wallet.click('#pending [data-collect]');
    await wallet.waitForSelector('#message:has-text("credential is in")');
    assert.match((await wallet.textContent('#credentials')) ?? '', /CertifierMSP/);
    // What IndexedDB holds of the credential is AES-GCM ciphertext only.
    const stored = await wallet.evaluate(
      () =>
        new Promise<string>((resolve) => {
          const open = (globalThis as unknown as { indexedDB: IDBFactoryLike }).indexedDB.open('kyc-wallet');
          open.onsuccess = () => {
            const get = open.result.transaction('kv').objectStore('kv').get('credentials');
            get.onsuccess = () => {
              resolve(JSON.stringify(get.result));
            };
          };
        }),
    );
    assert.deepEqual(Object.keys(JSON.parse(stored) as object).sort(), ['data', 'iv']);
    // Plaintext would hold 'Zoë' and the markup value; base64url ciphertext cannot contain 'ë' or '<'.
    assert.match((JSON.parse(stored) as { data: string }).data, /^[A-Za-z0-9_-]+$/);
    assert.ok(!stored.includes('Zoë') && !stored.includes('<img'));
  });

  it('the desk opens a registration and shows a short QR (version ≤ 10 at level M) with its countdown', async () => {
    const token = await enrollOfficer(services.bankUrl, services.bankAdminToken, 'web-verifier');
    desk = await newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(desk, web.bank, 'desk', token);
    await screenshot(desk, 'desk-open');
    await desk.check('#claim-table input[value=address]');
    await desk.click('#open');
    await desk.waitForSelector('#registration[data-status=pending]');
    const version = Number(await desk.getAttribute('#qr', 'data-version'));
    assert.ok(version >= 1 && version <= 10, `QR version ${version}`);
    assert.match((await desk.textContent('#countdown')) ?? '', /Expires in (9|10):\d\d/);
    const src = (await desk.getAttribute('#qr', 'src')) ?? '';
    y4mFromPng(Buffer.from(src.replace(/^data:image\/png;base64,/, ''), 'base64'), video);
    await screenshot(desk, 'desk-qr');
  });

  it('the wallet scans the QR with the camera, consents to two of three claims, and the desk turns verified live', async () => {
    await wallet.click('#go-scan');
    await wallet.waitForSelector('section[data-screen=consent]:not([hidden])', { timeout: 30_000 });
    assert.equal(await wallet.textContent('#bank-name'), 'BankMSP');
    const facts = (await wallet.textContent('#consent-facts')) ?? '';
    assert.match(facts, /Open a current account/);
    assert.match(facts, /Minimum level2/);
    assert.deepEqual(
      await wallet
        .locator('#consent-claims input')
        .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value)),
      ['given_name', 'family_name', 'birthdate', 'address'],
    );
    await wallet.uncheck('#consent-claims input[value=birthdate]');
    await screenshot(wallet, 'wallet-consent');
    await wallet.click('#share');
    await wallet.waitForSelector('section[data-screen=result]:not([hidden])', { timeout: 60_000 });
    assert.match((await wallet.textContent('#result')) ?? '', /Shared: address, family_name, given_name/);
    await screenshot(wallet, 'wallet-result');

    await desk.waitForSelector('#registration[data-status=verified]', { timeout: 30_000 });
    const rows = await desk
      .locator('#verified-claims tr')
      .evaluateAll((trs): [string, string][] =>
        trs.map((tr) => [tr.querySelector('th')?.textContent ?? '', tr.querySelector('td')?.textContent ?? '']),
      );
    assert.deepEqual(Object.fromEntries(rows), {
      given_name: holder.claims.given_name,
      family_name: holder.claims.family_name,
      address: ADDRESS,
    });
    assert.equal(await desk.locator('#verified-claims img').count(), 0);
    assert.equal(await desk.isVisible('#qr'), false);
    await screenshot(desk, 'desk-verified');
  });

  it('the wallet lists what it shared with whom', async () => {
    await wallet.click('section[data-screen=result] [data-home]');
    await wallet.click('#go-history');
    await wallet.waitForSelector('#history li:has-text("BankMSP")');
    const text = (await wallet.textContent('#history')) ?? '';
    assert.match(text, /BankMSP/);
    assert.match(text, /given_name, family_name, address — verified/);
    await screenshot(wallet, 'wallet-history');
  });

  it('a second scan of the used QR (a double submission) is refused with a message; nothing is sent', async () => {
    const posted: string[] = [];
    wallet.on('request', (request) => {
      if (request.method() === 'POST') posted.push(request.url());
    });
    await wallet.click('section[data-screen=history] [data-home]');
    await wallet.click('#go-scan');
    await wallet.waitForSelector('#scan-state.error', { timeout: 30_000 });
    assert.match((await wallet.textContent('#scan-state')) ?? '', /cannot be used: registration already used/);
    assert.deepEqual(posted, []);
    await wallet.click('section[data-screen=scan] [data-home]');
    await wallet.click('#go-history');
  });

  it('the wallet opens offline (service worker) with its identifier and credentials', async () => {
    await wallet.evaluate('navigator.serviceWorker.ready');
    await wallet.context().setOffline(true);
    try {
      await wallet.reload();
      await wallet.waitForSelector('body[data-ready=true]');
      assert.match((await wallet.textContent('#did')) ?? '', /^did:key:zDn/);
      assert.match((await wallet.textContent('#credentials')) ?? '', /CertifierMSP/);
    } finally {
      await wallet.context().setOffline(false);
    }
    await wallet.click('#go-history');
  });

  it('the desk shows usage as a chart and erases the person’s receipts', async () => {
    await desk.click('nav button[data-go=usage]');
    await desk.waitForSelector('#usage-chart svg title', { state: 'attached' });
    assert.equal(await desk.locator('#usage-chart rect').count(), 7);
    assert.match((await desk.textContent('#usage-chart title')) ?? '', /Verifications per day: (\d+, ){6}[1-9]\d*/);
    assert.deepEqual(await axeViolations(desk), []);
    await screenshot(desk, 'desk-usage');
    await desk.click('nav button[data-go=persons]');
    await desk.fill('#person-id', (await wallet.textContent('#did')) ?? '');
    await desk.click('#erase');
    await desk.waitForSelector('#erase-result:has-text("Erased")');
    assert.match((await desk.textContent('#erase-result')) ?? '', /1 local results shredded/);
  });

  it('device loss: the console finds the record with its history and revokes it; the wallet makes a new key', async () => {
    const did = (await wallet.textContent('#did')) ?? '';
    await consolePage.click('nav button[data-go=lookup]');
    await consolePage.fill('#lookup-did', did);
    await consolePage.click('#lookup-form button[type=submit]');
    await consolePage.waitForSelector('#records .timeline li');
    assert.match((await consolePage.textContent('#records')) ?? '', /identity — CertifierMSP.*level 2, active/s);
    await screenshot(consolePage, 'console-records');
    await consolePage.selectOption('#records select', 'person-request');
    await consolePage.click('#records button[type=submit]');
    await consolePage.waitForSelector('#message:has-text("Revoked")');
    assert.match((await consolePage.textContent('#records')) ?? '', /revoked/);
    assert.equal(await consolePage.locator('#records .timeline li').count(), 2);

    await wallet.click('section[data-screen=history] [data-home]');
    await wallet.click('summary');
    await wallet.click('#new-key');
    await wallet.waitForSelector('#message:has-text("new key is ready")');
    const fresh = (await wallet.textContent('#did')) ?? '';
    assert.match(fresh, /^did:key:zDn/);
    assert.notEqual(fresh, did);
    assert.match((await wallet.textContent('#credentials')) ?? '', /None yet/);

    // Re-certification with the new key; this time the officer rejects it, with a reason the person reads.
    await wallet.click('#go-certify');
    await wallet.fill('#claim-value-1', 'Zoë');
    await wallet.fill('#claim-value-2', 'Müller');
    await wallet.click('#certify-form button[type=submit]');
    await wallet.waitForSelector('#pending [data-collect]');
    await consolePage.click('nav button[data-go=queue]');
    await consolePage.locator('#queue tr', { hasText: fresh }).locator('button').click();
    await consolePage.fill('#reason', 'the document photo is unreadable');
    await consolePage.click('#reject');
    await consolePage.waitForSelector('#message:has-text("Rejected")');
    await wallet.click('#pending [data-collect]');
    await wallet.waitForSelector('#pending li:has-text("rejected: the document photo is unreadable")');
  });

  it('no page opened a dialog, and axe finds no serious or critical accessibility violation', async () => {
    assert.deepEqual(dialogs, []);
    for (const [name, page] of [
      ['wallet', wallet],
      ['console', consolePage],
      ['desk', desk],
    ] as const) {
      assert.deepEqual(await axeViolations(page), [], name);
    }
  });
});

/** A white 64×64 PNG: the camera before the desk has a QR. */
function blankPng(): Buffer {
  const png = new PNG({ width: 64, height: 64 });
  png.data.fill(255);
  return PNG.sync.write(png);
}
