import assert from 'node:assert/strict';
import { verifyRegistration } from '../../../wallet/src/registration';
import { checkReferenced, registrationText, requestReference } from '../../../wallet/src/request-uri';
import {
  bankEncryptionKey,
  createPki,
  isCode,
  nonce,
  registrationPayload,
  signedRegistration,
  startServer,
  type TestServer,
} from './helpers';

describe('wallet/request-uri: the short QR names the bank-signed registration the wallet fetches', () => {
  const pki = createPki();
  const bank = bankEncryptionKey();
  /** What the bank serves at each request path. */
  const served = new Map<string, string>();
  let server: TestServer;

  before(async () => {
    server = await startServer((request, _body, response) => {
      const jws = served.get(request.url ?? '');
      response.writeHead(jws === undefined ? 404 : 200, { 'content-type': 'application/oauth-authz-req+jwt' });
      response.end(jws ?? '');
    });
  });
  after(async () => {
    await server.close();
    pki.dispose();
  });

  /** A registration of `server` (or as overridden), served under `servedId`'s request path. */
  async function serve(servedId: string, overrides: Parameters<typeof registrationPayload>[1] = {}): Promise<string> {
    const id = overrides.registration_id ?? servedId;
    const payload = registrationPayload(bank.jwk, {
      registration_id: id,
      endpoint: `${server.url}/v1/registrations/${id}/presentation`,
      ...overrides,
    });
    const path = `/v1/registrations/${servedId}/request`;
    served.set(path, await signedRegistration(pki.verifier, payload));
    return `${server.url}${path}`;
  }

  it('leaves a long QR (the signed registration itself) as it is', async () => {
    const jws = await signedRegistration(pki.verifier, registrationPayload(bank.jwk));
    assert.equal(requestReference(jws), undefined);
    assert.equal(await registrationText(jws), jws);
  });

  it('fetches the registration a short QR names, which then verifies against the trust list', async () => {
    const id = nonce();
    const text = await serve(id);
    const registration = verifyRegistration(await registrationText(text), { trustedCas: pki.trustedCas });
    assert.equal(registration.payload.registration_id, id);
    checkReferenced(text, registration);
  });

  it('refuses a fetched registration other than the one named, or one that sends elsewhere', async () => {
    const other = await serve(nonce(), { registration_id: nonce() });
    const swapped = verifyRegistration(await registrationText(other), { trustedCas: pki.trustedCas });
    assert.throws(() => {
      checkReferenced(other, swapped);
    }, isCode('KYC_MISMATCH'));
    const id = nonce();
    const elsewhere = await serve(id, {
      endpoint: `https://elsewhere.example.com/v1/registrations/${id}/presentation`,
    });
    const redirected = verifyRegistration(await registrationText(elsewhere), { trustedCas: pki.trustedCas });
    assert.throws(() => {
      checkReferenced(elsewhere, redirected);
    }, isCode('KYC_MISMATCH'));
  });

  it('refuses links that are not registration references, and reports a bank that has no such registration', async () => {
    for (const text of [
      `${server.url}/v1/registrations/${nonce()}/presentation`,
      `${server.url}/v1/registrations/${nonce()}/request?x=1`,
      'https://user:pw@bank.example.com/v1/registrations/abcdefghijklmnop/request',
    ]) {
      await assert.rejects(registrationText(text), isCode('KYC_INVALID_ARGUMENT'), text);
    }
    await assert.rejects(
      registrationText(`${server.url}/v1/registrations/${nonce()}/request`),
      isCode('KYC_UNAVAILABLE'),
    );
  });
});
