import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import { createHttpApp, newHttpMetrics, publicRateLimit } from '../../../../services/src/http/app';
import { KycError } from '../../../../protocol/src';

/** The shared HTTP shell: every refusal fastify or Node makes answers in the documented error shape. */

const SECRET_ID = 'Zm9vYmFyLXNlY3JldC1jYXBhYmlsaXR5';
const TOKEN = 'dG9rZW4tdGhhdC1tdXN0LW5ldmVyLWJlLWxvZ2dlZA';

async function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('close', () => {
      resolve(answer);
    });
    socket.on('error', reject);
  });
}

describe('HTTP shell', () => {
  let app: FastifyInstance;
  let base: string;
  let port: number;
  const lines: string[] = [];

  before(async () => {
    app = await createHttpApp({
      title: 't',
      description: 'd',
      version: '1',
      logLevel: 'info',
      bodyLimit: 1024,
      rateLimitPerMinute: 1000,
      health: () => Promise.resolve({ ok: true }),
      metrics: newHttpMetrics('test'),
      logStream: { write: (line: string) => lines.push(line) },
    });
    app.get<{ Params: { id: string } }>(
      '/v1/things/:id',
      { schema: { params: Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]{16,64}$' }) }) } },
      (request) => ({ id: request.params.id }),
    );
    app.get('/v1/limited', { config: publicRateLimit(2) }, () => ({ ok: true }));
    app.get('/v1/busy', () => Promise.reject(new KycError('KYC_CAPACITY', 'full')));
    app.get('/v1/down', () => Promise.reject(new KycError('KYC_UNAVAILABLE', 'ledger down')));
    app.get('/v1/taken', () => Promise.reject(new KycError('KYC_CONFLICT', 'used')));
    app.post('/v1/things', { schema: { body: Type.Object({ name: Type.String() }) } }, () => ({ ok: true }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    port = typeof address === 'object' && address !== null ? address.port : 0;
    base = `http://127.0.0.1:${port}`;
  });
  after(() => app.close());

  async function expectError(response: Response, status: number, code: string): Promise<string> {
    assert.equal(response.status, status);
    const body = (await response.json()) as { error?: { code?: unknown; message?: unknown } };
    assert.deepEqual(Object.keys(body), ['error']);
    const error = body.error ?? {};
    assert.equal(typeof error.message, 'string');
    assert.equal(error.code, code);
    return String(error.message);
  }

  it('answers an over-long path parameter with 414 in the documented shape, without echoing the path', async () => {
    const message = await expectError(await fetch(`${base}/v1/things/${'A'.repeat(500)}`), 414, 'KYC_INVALID_ARGUMENT');
    assert.ok(!message.includes('AAAA'));
  });

  it('answers unknown routes, bad URL encoding, oversized bodies, media types and malformed JSON in the shape', async () => {
    await expectError(await fetch(`${base}/nowhere/${SECRET_ID}`), 404, 'KYC_NOT_FOUND');
    await expectError(await fetch(`${base}/v1/things/%E0%A4%A`), 400, 'KYC_INVALID_ARGUMENT');
    const post = (body: string, type = 'application/json'): Promise<Response> =>
      fetch(`${base}/v1/things`, { method: 'POST', headers: { 'content-type': type }, body });
    await expectError(await post(JSON.stringify({ name: 'x'.repeat(2000) })), 413, 'KYC_INVALID_ARGUMENT');
    await expectError(await post('<a/>', 'application/xml'), 415, 'KYC_INVALID_ARGUMENT');
    const message = await expectError(await post('{"name": "Zoë Secret-Value'), 400, 'KYC_INVALID_ARGUMENT');
    assert.ok(!message.includes('Secret-Value'), 'a JSON error does not quote the body');
    await expectError(await post(JSON.stringify({ other: 1 })), 400, 'KYC_INVALID_ARGUMENT');
  });

  it('says when to retry after the retryable codes (Retry-After), and not after the others', async () => {
    const busy = await fetch(`${base}/v1/busy`);
    assert.equal(busy.headers.get('retry-after'), '30');
    await expectError(busy, 507, 'KYC_CAPACITY');
    const down = await fetch(`${base}/v1/down`);
    assert.equal(down.headers.get('retry-after'), '5');
    await expectError(down, 503, 'KYC_UNAVAILABLE');
    const taken = await fetch(`${base}/v1/taken`);
    assert.equal(taken.headers.get('retry-after'), null);
    await expectError(taken, 409, 'KYC_CONFLICT');
  });

  it('answers the rate limit with 429 KYC_RATE_LIMITED', async () => {
    await fetch(`${base}/v1/limited`);
    await fetch(`${base}/v1/limited`);
    await expectError(await fetch(`${base}/v1/limited`), 429, 'KYC_RATE_LIMITED');
  });

  it('answers headers too large (refused by Node before fastify) with 431 in the documented shape', async () => {
    const answer = await raw(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431 /);
    const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
    assert.equal(body.error.code, 'KYC_INVALID_ARGUMENT');
  });

  it('logs method, route pattern and status, never the URL, query, path parameters or headers', async () => {
    await fetch(`${base}/v1/things/${SECRET_ID}?token=${TOKEN}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    await fetch(`${base}/v1/things/${SECRET_ID}x${'A'.repeat(200)}`);
    const log = lines.join('');
    assert.ok(log.includes('"route":"/v1/things/:id"'), log.slice(0, 500));
    for (const secret of [SECRET_ID, TOKEN, 'Secret-Value', 'AAAA']) {
      assert.ok(!log.includes(secret), `the log holds ${secret}`);
    }
  });
});
