import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { verifyCollectionRequest } from '../../../protocol/src';
import { certifierClient, personKeyFromPrivateKey } from '../../../wallet/src';
import {
  CLAIMS,
  isCode,
  issueCredential,
  nonce,
  sendJson,
  startServer,
  type Handler,
  type TestServer,
} from './helpers';

/** The certifier's evidence-encryption key as its nonce answer carries it (a fixed P-256 point). */
const JWK = {
  kty: 'EC',
  crv: 'P-256',
  x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4',
  y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM',
} as const;

describe('certifierClient', () => {
  const key = personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const credential = issueCredential(key);
  let server: TestServer;
  let handler: Handler;

  before(async () => {
    server = await startServer((request, body, response) => {
      handler(request, body, response);
    });
  });
  after(() => server.close());
  beforeEach(() => {
    server.requests.length = 0;
  });

  it('asks for a nonce with POST /v1/certifications/nonce', async () => {
    const n = nonce();
    handler = (_req, _body, res) => {
      sendJson(res, 200, {
        nonce: n,
        certifier: 'CertifierMSP',
        expiresAt: '2026-03-01T12:05:00Z',
        encryptionJwk: JWK,
      });
    };
    assert.deepEqual(await certifierClient(server.url).requestNonce(), {
      nonce: n,
      certifier: 'CertifierMSP',
      expiresAt: '2026-03-01T12:05:00Z',
      encryptionJwk: JWK,
    });
    const [request] = server.requests;
    assert.ok(request);
    assert.equal(request.method, 'POST');
    assert.equal(request.url, '/v1/certifications/nonce');
    assert.equal(request.headers['content-type'], 'application/json');
  });

  it('submits { personId, kind, claims, claimsSalt, request } with POST /v1/certifications', async () => {
    handler = (_req, _body, res) => {
      sendJson(res, 202, { id: 'req-42', status: 'pending' });
    };
    const submission = {
      personId: key.did,
      kind: 'identity',
      claims: CLAIMS,
      claimsSalt: 'c2FsdHNhbHRzYWx0c2FsdA',
      request: 'a.b.c',
    };
    assert.deepEqual(await certifierClient(`${server.url}/`).submit(submission), { id: 'req-42', status: 'pending' });
    const [request] = server.requests;
    assert.ok(request);
    assert.equal(request.url, '/v1/certifications');
    assert.deepEqual(JSON.parse(request.body), submission);
  });

  it('reads the status alone with GET /v1/certifications/:id', async () => {
    handler = (_req, _body, res) => {
      sendJson(res, 200, { id: 'req:42', status: 'approved' });
    };
    const state = await certifierClient(server.url).status('req:42');
    const [request] = server.requests;
    assert.ok(request);
    assert.equal(request.method, 'GET');
    assert.equal(request.url, '/v1/certifications/req%3A42');
    assert.deepEqual(state, { id: 'req:42', status: 'approved' });
  });

  it('collects with POST /v1/certifications/collect and a fresh request signed by the person, for this id and certifier', async () => {
    handler = (_req, _body, res) => {
      sendJson(res, 200, {
        id: 'req:42',
        status: 'approved',
        disclosures: credential.disclosures,
        record: credential.record,
      });
    };
    const client = certifierClient(server.url);
    const state = await client.collect('req:42', key, 'CertifierMSP');
    await client.collect('req:42', key, 'CertifierMSP');
    const [first, second] = server.requests;
    assert.ok(first && second);
    assert.equal(first.method, 'POST');
    assert.equal(first.url, '/v1/certifications/collect');
    const token = (JSON.parse(first.body) as { request: string }).request;
    const { payload } = verifyCollectionRequest(token, { audience: 'CertifierMSP', now: new Date() });
    assert.equal(payload.sub, key.did);
    assert.equal(payload.certification_id, 'req:42');
    assert.ok(payload.exp - payload.iat <= 300, 'short-lived');
    assert.notEqual((JSON.parse(second.body) as { request: string }).request, token, 'never the same request twice');
    assert.deepEqual(state, {
      id: 'req:42',
      status: 'approved',
      disclosures: credential.disclosures,
      record: credential.record,
    });
  });

  it('reads an approval already collected as such (no disclosures, collectedAt)', async () => {
    handler = (_req, _body, res) => {
      sendJson(res, 200, {
        id: 'r1',
        status: 'approved',
        record: credential.record,
        collectedAt: '2026-03-01T12:00:00Z',
      });
    };
    assert.deepEqual(await certifierClient(server.url).collect('r1', key, 'CertifierMSP'), {
      id: 'r1',
      status: 'approved',
      record: credential.record,
      collectedAt: '2026-03-01T12:00:00Z',
    });
  });

  it('keeps a rejection reason', async () => {
    handler = (_req, _body, res) => {
      sendJson(res, 200, { id: 'r1', status: 'rejected', reason: 'documents unreadable' });
    };
    assert.deepEqual(await certifierClient(server.url).collect('r1', key, 'CertifierMSP'), {
      id: 'r1',
      status: 'rejected',
      reason: 'documents unreadable',
    });
  });

  it('turns the service error form into a KycError with the same code', async () => {
    handler = (_req, _body, res) => {
      sendJson(res, 409, { error: { code: 'KYC_CONFLICT', message: 'KYC_CONFLICT: nonce already used' } });
    };
    await assert.rejects(certifierClient(server.url).requestNonce(), (error: unknown) => {
      assert.ok(isCode('KYC_CONFLICT')(error));
      assert.match((error as Error).message, /nonce already used/);
      return true;
    });
  });

  it('reports unknown error forms, non-JSON and malformed answers as KYC_UNAVAILABLE', async () => {
    const answers: Handler[] = [
      (_req, _body, res) => {
        sendJson(res, 500, { error: { code: 'SOMETHING_ELSE', message: 'x' } });
      },
      (_req, _body, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>');
      },
      (_req, _body, res) => {
        sendJson(res, 200, { nonce: 'short', certifier: 'CertifierMSP', expiresAt: '2026-03-01T12:05:00Z' });
      },
      (_req, _body, res) => {
        sendJson(res, 200, { nonce: nonce(), certifier: 'CertifierMSP', expiresAt: 'tomorrow' });
      },
      (_req, _body, res) => {
        sendJson(res, 200, { pad: 'x'.repeat(2 * 1024 * 1024) });
      },
    ];
    for (const answer of answers) {
      handler = answer;
      await assert.rejects(certifierClient(server.url).requestNonce(), isCode('KYC_UNAVAILABLE'));
    }
  });

  it('refuses a state for another id or an approval without a valid record', async () => {
    handler = (_req, _body, res) => {
      sendJson(res, 200, { id: 'other', status: 'pending' });
    };
    await assert.rejects(certifierClient(server.url).status('r1'), isCode('KYC_UNAVAILABLE'));
    await assert.rejects(certifierClient(server.url).collect('r1', key, 'CertifierMSP'), isCode('KYC_UNAVAILABLE'));
    handler = (_req, _body, res) => {
      sendJson(res, 200, {
        id: 'r1',
        status: 'approved',
        disclosures: credential.disclosures,
        record: { ...credential.record, level: 7 },
      });
    };
    await assert.rejects(
      certifierClient(server.url).collect('r1', key, 'CertifierMSP'),
      isCode('KYC_INVALID_ARGUMENT'),
    );
  });

  it('gives up after the timeout with KYC_UNAVAILABLE', async () => {
    handler = () => {
      // never answers
    };
    const started = Date.now();
    await assert.rejects(certifierClient(server.url, { timeoutMs: 200 }).requestNonce(), isCode('KYC_UNAVAILABLE'));
    assert.ok(Date.now() - started < 2000);
  });

  it('reports an unreachable service as KYC_UNAVAILABLE', async () => {
    const closed = await startServer(() => undefined);
    await closed.close();
    await assert.rejects(certifierClient(closed.url).requestNonce(), isCode('KYC_UNAVAILABLE'));
  });

  it('refuses bad base URLs and ids before sending anything', async () => {
    for (const url of ['ftp://127.0.0.1', 'not a url', 'http://user:pw@127.0.0.1']) {
      assert.throws(() => certifierClient(url), isCode('KYC_INVALID_ARGUMENT'));
    }
    await assert.rejects(certifierClient(server.url).status('../admin'), isCode('KYC_INVALID_ARGUMENT'));
    await assert.rejects(
      certifierClient(server.url).collect('../admin', key, 'CertifierMSP'),
      isCode('KYC_INVALID_ARGUMENT'),
    );
    assert.equal(server.requests.length, 0);
  });
});
