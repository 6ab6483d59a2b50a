import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  assertFresh,
  claimsHash,
  parseCertificationRequestPayload,
  publicKeyFromDidKey,
  TYP,
  verifyJws,
} from '../../../protocol/src';
import {
  createCertificationRequest,
  credentialFromApproval,
  MAX_REQUEST_LIFETIME_SECONDS,
  normaliseClaims,
  personKeyFromPrivateKey,
  type PendingCertification,
} from '../../../wallet/src';
import { CLAIMS, isCode, issueCredential, nonce } from './helpers';

const SALT = 'c2FsdHNhbHRzYWx0c2FsdA';

describe('certification requests', () => {
  const key = personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const now = new Date('2026-03-01T12:00:00Z');

  it('signs { sub, aud, nonce, iat, exp, kind, claims_hash } with the person key', async () => {
    const n = nonce();
    const { request, payload, claimsSalt } = await createCertificationRequest({
      key,
      certifier: 'CertifierMSP',
      nonce: n,
      kind: 'identity',
      claims: CLAIMS,
      now,
    });
    const decoded = verifyJws(request, TYP.certificationRequest, publicKeyFromDidKey(key.did));
    const parsed = parseCertificationRequestPayload(decoded.payload);
    assert.deepEqual(parsed, payload);
    assert.deepEqual(parsed, {
      sub: key.did,
      aud: 'CertifierMSP',
      nonce: n,
      iat: now.getTime() / 1000,
      exp: now.getTime() / 1000 + 7 * 24 * 3600,
      kind: 'identity',
      claims_hash: claimsHash(CLAIMS, claimsSalt),
    });
    assertFresh(parsed.iat, parsed.exp, parsed.iat + 1, 'request', MAX_REQUEST_LIFETIME_SECONDS);
  });

  it('caps the lifetime at thirty days and refuses malformed inputs', async () => {
    const base = { key, certifier: 'CertifierMSP', nonce: nonce(), kind: 'identity', claims: CLAIMS, now };
    await createCertificationRequest({ ...base, lifetimeSeconds: 30 * 24 * 3600 });
    const bads: Record<string, unknown>[] = [
      { lifetimeSeconds: 30 * 24 * 3600 + 1 },
      { lifetimeSeconds: 0 },
      { certifier: 'Certifier MSP' },
      { nonce: 'short' },
      { kind: 'Identity' },
      { claims: {} },
      { claims: { Name: 'x' } },
    ];
    for (const bad of bads) {
      await assert.rejects(createCertificationRequest({ ...base, ...bad }), isCode('KYC_INVALID_ARGUMENT'));
    }
  });

  it('normalises claim values to NFC and checks them', () => {
    const decomposed = 'Zoe\u0308'; // e + combining diaeresis
    assert.deepEqual(normaliseClaims({ given_name: decomposed }), { given_name: 'Zoë' });
    for (const bad of [null, [], 'x', { n: 1 }, { n: '' }, { 'bad-name': 'x' }]) {
      assert.throws(() => normaliseClaims(bad), isCode('KYC_INVALID_ARGUMENT'));
    }
  });
});

describe('credentialFromApproval', () => {
  const key = personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const pending: PendingCertification = {
    id: 'req-1',
    certifierUrl: 'http://127.0.0.1:8080',
    certifier: 'CertifierMSP',
    kind: 'identity',
    personId: key.did,
    claimsHash: claimsHash(CLAIMS, SALT),
    claimsSalt: SALT,
    requestedAt: '2026-03-01T12:00:00.000Z',
  };
  const approved = (claims: Record<string, string> = CLAIMS, record = {}) => {
    const credential = issueCredential(key, claims, record);
    return { id: 'req-1', status: 'approved' as const, disclosures: credential.disclosures, record: credential.record };
  };

  it('accepts disclosures that open exactly the claims submitted', () => {
    const state = approved();
    const credential = credentialFromApproval(pending, state);
    assert.deepEqual(credential.disclosures, state.disclosures);
    assert.equal(credential.personId, key.did);
  });

  it('accepts a claim named like an Object.prototype member (constructor)', () => {
    const claims = { ...CLAIMS, constructor: 'Brunel' };
    const credential = credentialFromApproval({ ...pending, claimsHash: claimsHash(claims, SALT) }, approved(claims));
    assert.equal(credential.disclosures.length, Object.keys(claims).length);
  });

  it('refuses a certifier that changed, dropped or added a claim (KYC_MISMATCH)', () => {
    const fewer = Object.fromEntries(Object.entries(CLAIMS).filter(([name]) => name !== 'nationality'));
    for (const claims of [{ ...CLAIMS, family_name: 'Mueller' }, fewer, { ...CLAIMS, extra: 'x' }]) {
      assert.throws(() => credentialFromApproval(pending, approved(claims)), isCode('KYC_MISMATCH'));
    }
  });

  it('refuses a record for another certifier or kind (KYC_MISMATCH)', () => {
    assert.throws(
      () => credentialFromApproval(pending, approved(CLAIMS, { certifier: 'OtherMSP' })),
      isCode('KYC_MISMATCH'),
    );
    assert.throws(() => credentialFromApproval(pending, approved(CLAIMS, { kind: 'address' })), isCode('KYC_MISMATCH'));
  });

  it('refuses states that are not approved, and malformed or duplicate disclosures', () => {
    assert.throws(
      () => credentialFromApproval(pending, { id: 'req-1', status: 'pending' }),
      isCode('KYC_INVALID_ARGUMENT'),
    );
    const state = approved();
    const first = state.disclosures[0] ?? '';
    for (const disclosures of [['not-a-disclosure'], [first, first], []]) {
      assert.throws(() => credentialFromApproval(pending, { ...state, disclosures }), isCode('KYC_INVALID_ARGUMENT'));
    }
  });

  it('says so when the disclosures were already collected (the certifier hands them out once)', () => {
    const { id, status, record } = approved();
    assert.throws(
      () => credentialFromApproval(pending, { id, status, record, collectedAt: '2026-03-01T12:00:00Z' }),
      isCode('KYC_CONFLICT'),
    );
  });
});
