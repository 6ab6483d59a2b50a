import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { CSRF_HEADER, SESSION_COOKIE, WEBHOOK_SIGNATURE_HEADER } from '../../../../protocol/src/http/web-api';
import { SessionStore } from '../../../../services/src/web/sessions';
import { MAX_SHORT_QR_VERSION, requestUriOf, shortQrVersion } from '../../../../services/src/web/short-qr';
import { signWebhook, verifyWebhook, Webhook } from '../../../../services/src/web/webhook';

/** The web server pieces on their own: the short QR's size, sessions and CSRF, the webhook's signature and retries. */

function request(cookie: string | undefined, method = 'GET', csrf?: string): FastifyRequest {
  return {
    method,
    cookies: cookie === undefined ? {} : { [SESSION_COOKIE]: cookie },
    headers: csrf === undefined ? {} : { [CSRF_HEADER]: csrf },
  } as unknown as FastifyRequest;
}

describe('web server: short QR', () => {
  it('a registration reference fits QR version 10 at level M even with a long public URL and id', () => {
    const long = requestUriOf('https://kyc-bank-service.example-consortium-bank.eu:8443', 'A'.repeat(64));
    assert.ok(shortQrVersion(long) <= MAX_SHORT_QR_VERSION, `version ${shortQrVersion(long)}`);
    const local = requestUriOf('http://127.0.0.1:8081', 'Vq3cV2dQm0pG8nFh5w1x3A');
    assert.ok(shortQrVersion(local) <= 5, `version ${shortQrVersion(local)}`);
    // What it replaces: a signed request with its certificate chain in the QR (~2.2 KB) needs version ≥ 30.
    assert.ok(QRCode.create('x'.repeat(2200), { errorCorrectionLevel: 'L' }).version >= 30);
  });
});

describe('web server: sessions', () => {
  it('a session names its officer; state changes need its CSRF token', () => {
    const sessions = new SessionStore(60);
    const { id, session } = sessions.open('clerk-1');
    assert.equal(sessions.officerOf(request(id)), 'clerk-1');
    assert.equal(sessions.officerOf(request(undefined)), undefined);
    assert.equal(sessions.officerOf(request('x'.repeat(43))), undefined);
    assert.throws(() => sessions.officerOf(request(id, 'POST')), /KYC_FORBIDDEN/);
    assert.throws(() => sessions.officerOf(request(id, 'DELETE', 'y'.repeat(43))), /KYC_FORBIDDEN/);
    assert.equal(sessions.officerOf(request(id, 'POST', session.csrf)), 'clerk-1');
    sessions.close(id);
    assert.equal(sessions.officerOf(request(id)), undefined);
  });

  it('expires sessions', () => {
    const sessions = new SessionStore(1);
    const { id } = sessions.open('clerk-2', Date.now() - 2000);
    assert.equal(sessions.officerOf(request(id)), undefined);
  });
});

describe('web server: webhook', () => {
  const secret = 's'.repeat(43);
  let server: Server;
  let url: string;
  const seen: { status: number; signature: string; body: string }[] = [];
  let failures = 2;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const status = failures-- > 0 ? 503 : 200;
        seen.push({ status, signature: String(req.headers[WEBHOOK_SIGNATURE_HEADER]), body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('signs the exact body with a time, and refuses another body, secret or an old time', () => {
    const now = 1_800_000_000;
    const header = signWebhook(secret, '{"a":1}', now);
    assert.ok(verifyWebhook(secret, '{"a":1}', header, now + 10));
    assert.ok(!verifyWebhook(secret, '{"a":2}', header, now));
    assert.ok(!verifyWebhook('t'.repeat(43), '{"a":1}', header, now));
    assert.ok(!verifyWebhook(secret, '{"a":1}', header, now + 301));
    assert.ok(!verifyWebhook(secret, '{"a":1}', 'garbage', now));
  });

  it('retries with backoff until delivered, then never again for that registration', async () => {
    const failed: (number | string)[] = [];
    const hook = new Webhook({ url, secret, retryDelaysMs: [10, 20, 40], onFailure: (_n, s) => failed.push(s) });
    const body = {
      event: 'registration.verified' as const,
      registrationId: 'R'.repeat(22),
      verifiedAt: new Date().toISOString(),
      certifier: 'CertifierMSP',
      level: 2,
      claims: ['given_name'],
      txId: 'tx',
    };
    assert.equal(await hook.deliver(body), true);
    assert.deepEqual(failed, [503, 503]);
    assert.deepEqual(
      seen.map((s) => s.status),
      [503, 503, 200],
    );
    assert.ok(seen.every((s) => verifyWebhook(secret, s.body, s.signature, Math.floor(Date.now() / 1000))));
    assert.equal(await hook.deliver(body), true);
    assert.equal(seen.length, 3);
  });

  it('gives up after the last retry when the receiver is unreachable', async () => {
    const hook = new Webhook({ url: 'http://127.0.0.1:1/', secret, retryDelaysMs: [5] });
    const body = {
      event: 'registration.verified' as const,
      registrationId: 'Q'.repeat(22),
      verifiedAt: '',
      certifier: 'C',
      level: 2,
      claims: [],
      txId: '',
    };
    assert.equal(await hook.deliver(body), false);
  });
});
