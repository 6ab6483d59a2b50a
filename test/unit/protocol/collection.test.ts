import assert from 'node:assert/strict';
import {
  KycError,
  MAX_COLLECTION_REQUEST_LIFETIME_SECONDS,
  TYP,
  createCollectionRequest,
  decodeJws,
  verifyCollectionRequest,
} from '../../../protocol/src';
import { newPerson } from '../../../protocol/testing/simulated-person';

const isCode =
  (code: string) =>
  (err: unknown): boolean =>
    err instanceof KycError && err.code === code;

describe('collection request', () => {
  const person = newPerson();
  const base = { personId: person.id, sign: person.sign, certifier: 'CertifierMSP', certificationId: 'req-1' };

  it('is a kyc-collection-request+jwt over { sub, aud, certification_id, iat, exp, jti }, at most 5 minutes', async () => {
    const token = await createCollectionRequest(base);
    const jws = decodeJws(token, TYP.collectionRequest);
    assert.deepEqual(Object.keys(jws.payload).sort(), ['aud', 'certification_id', 'exp', 'iat', 'jti', 'sub']);
    const { payload, id } = verifyCollectionRequest(token, { audience: 'CertifierMSP', now: new Date() });
    assert.equal(payload.sub, person.id);
    assert.equal(payload.certification_id, 'req-1');
    assert.ok(payload.exp - payload.iat <= MAX_COLLECTION_REQUEST_LIFETIME_SECONDS);
    assert.equal(id, jws.id);
    assert.notEqual((await createCollectionRequest(base)).split('.')[1], token.split('.')[1], 'a fresh jti each time');
  });

  it('refuses to build one that lives longer than 5 minutes or names a malformed id', async () => {
    await assert.rejects(createCollectionRequest({ ...base, lifetimeSeconds: 301 }), isCode('KYC_INVALID_ARGUMENT'));
    await assert.rejects(createCollectionRequest({ ...base, certificationId: '../x' }), isCode('KYC_INVALID_ARGUMENT'));
  });

  it('verifies only under the key its sub names, for its audience, while fresh', async () => {
    const other = newPerson();
    const forged = await createCollectionRequest({ ...base, sign: other.sign });
    assert.throws(
      () => verifyCollectionRequest(forged, { audience: 'CertifierMSP', now: new Date() }),
      isCode('KYC_BAD_SIGNATURE'),
    );
    const token = await createCollectionRequest(base);
    assert.throws(
      () => verifyCollectionRequest(token, { audience: 'OtherMSP', now: new Date() }),
      isCode('KYC_MISMATCH'),
    );
    assert.throws(
      () => verifyCollectionRequest(token, { audience: 'CertifierMSP', now: new Date(Date.now() + 600_000) }),
      isCode('KYC_EXPIRED'),
    );
  });
});
