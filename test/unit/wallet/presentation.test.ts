import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  disclosuresHash,
  parseConsentPayload,
  parseDisclosure,
  parsePresentation,
  PRESENTATION_CONTENT_TYPE,
  publicKeyFromDidKey,
  TYP,
  verifyJws,
} from '../../../protocol/src';
import { decryptPresentation } from '../../../protocol/src/jose';
import { softwareKeyAgreement } from '../../support/software-keys';
import { buildPresentation, personKeyFromPrivateKey, submitPresentation } from '../../../wallet/src';
import {
  bankEncryptionKey,
  CLAIMS,
  isCode,
  issueCredential,
  registrationPayload,
  sendJson,
  startServer,
} from './helpers';

describe('presentations', () => {
  const key = personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
  const bank = bankEncryptionKey();
  const registration = registrationPayload(bank.jwk);
  const credential = issueCredential(key);

  async function open(jwe: string) {
    const plaintext = await decryptPresentation(jwe, {
      deriveSharedSecret: softwareKeyAgreement(bank.privateKey),
      expectedKid: registration.registration_id,
    });
    return parsePresentation(plaintext);
  }

  it('encrypts to the bank key with ECDH-ES/A256GCM, cty and kid = registration id', async () => {
    const { jwe } = await buildPresentation({ key, registration, credential, claimNames: ['given_name'] });
    const header = JSON.parse(Buffer.from(jwe.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;
    assert.equal(header.alg, 'ECDH-ES');
    assert.equal(header.enc, 'A256GCM');
    assert.equal(header.cty, PRESENTATION_CONTENT_TYPE);
    assert.equal(header.kid, registration.registration_id);
  });

  it('carries only the chosen claims, a consent by the person key, and a hash binding them in order', async () => {
    const chosen = ['birth_date', 'given_name'];
    const now = new Date();
    const built = await buildPresentation({ key, registration, credential, claimNames: chosen, now });
    const presentation = await open(built.jwe);
    assert.equal(presentation.personId, key.did);
    assert.equal(presentation.certifier, 'CertifierMSP');
    assert.equal(presentation.kind, 'identity');
    assert.deepEqual(presentation.disclosures, built.disclosures);
    assert.deepEqual(
      presentation.disclosures.map((d) => parseDisclosure(d).name),
      chosen,
    );
    assert.deepEqual(
      presentation.disclosures.map((d) => parseDisclosure(d).value),
      [CLAIMS.birth_date, CLAIMS.given_name],
    );
    assert.deepEqual(built.omitted, ['family_name', 'nationality']);

    const consent = parseConsentPayload(
      verifyJws(presentation.consent, TYP.consent, publicKeyFromDidKey(presentation.personId)).payload,
    );
    assert.equal(presentation.consent, built.consent);
    assert.deepEqual(consent, {
      sub: key.did,
      aud: 'BankMSP',
      registration_id: registration.registration_id,
      nonce: registration.nonce,
      iat: Math.floor(now.getTime() / 1000),
      exp: Math.floor(now.getTime() / 1000) + 300,
      certifier: 'CertifierMSP',
      kind: 'identity',
      disclosures_hash: disclosuresHash(presentation.disclosures),
    });
    // The hash binds set and order: any other list of disclosures gives another hash.
    assert.notEqual(consent.disclosures_hash, disclosuresHash([...presentation.disclosures].reverse()));
    assert.notEqual(consent.disclosures_hash, disclosuresHash(credential.disclosures));
  });

  it('never includes claims that were not chosen, not even inside the ciphertext', async () => {
    const { jwe } = await buildPresentation({ key, registration, credential, claimNames: ['nationality'] });
    const plaintext = JSON.stringify(await open(jwe));
    for (const value of [CLAIMS.given_name, CLAIMS.family_name, CLAIMS.birth_date, CLAIMS.address]) {
      assert.equal(plaintext.includes(value), false);
    }
    const notChosen = credential.disclosures.filter((d) => parseDisclosure(d).name !== 'nationality');
    for (const disclosure of notChosen) {
      assert.equal(plaintext.includes(disclosure), false);
    }
  });

  it('refuses claims the bank did not ask for, claims the credential lacks, and empty or repeated choices', async () => {
    await assert.rejects(
      buildPresentation({ key, registration, credential, claimNames: ['address'] }),
      isCode('KYC_INVALID_ARGUMENT'),
    );
    const partial = issueCredential(key, { given_name: 'Zoë' });
    await assert.rejects(
      buildPresentation({ key, registration, credential: partial, claimNames: ['given_name', 'birth_date'] }),
      isCode('KYC_NOT_FOUND'),
    );
    await assert.rejects(
      buildPresentation({ key, registration, credential, claimNames: [] }),
      isCode('KYC_INVALID_ARGUMENT'),
    );
    await assert.rejects(
      buildPresentation({ key, registration, credential, claimNames: ['given_name', 'given_name'] }),
      isCode('KYC_INVALID_ARGUMENT'),
    );
  });

  it('refuses a credential of another key, an expired one, one below min_level, and an expired registration', async () => {
    const other = personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const claimNames = ['given_name'];
    await assert.rejects(
      buildPresentation({ key: other, registration, credential, claimNames }),
      isCode('KYC_MISMATCH'),
    );
    const expired = issueCredential(key, CLAIMS, { validUntil: '2020-01-01T00:00:00Z' });
    await assert.rejects(
      buildPresentation({ key, registration, credential: expired, claimNames }),
      isCode('KYC_EXPIRED'),
    );
    const low = issueCredential(key, CLAIMS, { level: 1 });
    await assert.rejects(
      buildPresentation({ key, registration, credential: low, claimNames }),
      isCode('KYC_UNTRUSTED'),
    );
    const later = new Date(Date.now() + 3600_000);
    await assert.rejects(
      buildPresentation({ key, registration, credential, claimNames, now: later }),
      isCode('KYC_EXPIRED'),
    );
  });

  it('refuses an encryption key that is not a point on P-256', async () => {
    const offCurve = { ...registration, enc_jwk: { ...bank.jwk, y: bank.jwk.x } };
    await assert.rejects(
      buildPresentation({ key, registration: offCurve, credential, claimNames: ['given_name'] }),
      isCode('KYC_INVALID_ARGUMENT'),
    );
  });

  describe('submitPresentation', () => {
    it('posts the JWE as application/jose and returns the JSON answer', async () => {
      const server = await startServer((_req, _body, res) => {
        sendJson(res, 200, { status: 'verified', receipt: 'r1' });
      });
      try {
        const { jwe } = await buildPresentation({ key, registration, credential, claimNames: ['given_name'] });
        const answer = await submitPresentation(`${server.url}/v1/registrations/x/presentation`, jwe);
        assert.deepEqual(answer, { status: 'verified', receipt: 'r1' });
        const request = server.requests[0];
        assert.equal(request?.method, 'POST');
        assert.equal(request.url, '/v1/registrations/x/presentation');
        assert.equal(request.headers['content-type'], 'application/jose');
        assert.equal(request.body, jwe);
      } finally {
        await server.close();
      }
    });

    it('turns the bank error form into a KycError and times out with KYC_UNAVAILABLE', async () => {
      const server = await startServer((req, _body, res) => {
        if (req.url === '/slow') {
          return;
        }
        sendJson(res, 422, { error: { code: 'KYC_MISMATCH', message: 'disclosures do not match the record' } });
      });
      try {
        await assert.rejects(submitPresentation(`${server.url}/mismatch`, 'a.b.c.d.e'), isCode('KYC_MISMATCH'));
        await assert.rejects(
          submitPresentation(`${server.url}/slow`, 'a.b.c.d.e', { timeoutMs: 200 }),
          isCode('KYC_UNAVAILABLE'),
        );
      } finally {
        await server.close();
      }
      await assert.rejects(submitPresentation('file:///etc/passwd', 'x'), isCode('KYC_INVALID_ARGUMENT'));
    });
  });
});
