import assert from 'node:assert/strict';
import { createCipheriv, diffieHellman, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { CompactEncrypt, type CompactJWEHeaderParameters } from 'jose';
import fc from 'fast-check';
import {
  EVIDENCE_CONTENT_TYPE,
  KycError,
  MAX_EVIDENCE_JWE_LENGTH,
  PRESENTATION_CONTENT_TYPE,
} from '../../../../protocol/src';
import {
  concatKdf,
  decryptEvidence,
  decryptPresentation,
  MAX_PRESENTATION_JWE_LENGTH,
} from '../../../../protocol/src/jose';
import { softwareKeyAgreement } from '../../../support/software-keys';

const KID = 'reg-0123456789abcdef';

function failed(error: unknown): boolean {
  assert.ok(error instanceof KycError, `expected KycError, got ${String(error)}`);
  assert.equal(error.code, 'KYC_DECRYPTION_FAILED');
  // One message for every failure: no hint of which step refused.
  assert.equal(error.message, 'KYC_DECRYPTION_FAILED: the presentation could not be decrypted');
  assert.equal(error.cause, undefined);
  return true;
}

function encrypt(
  plaintext: unknown,
  to: KeyObject,
  header: Partial<CompactJWEHeaderParameters> = {},
  parameters: { apu?: Uint8Array; apv?: Uint8Array } = {},
): Promise<string> {
  return new CompactEncrypt(Buffer.from(JSON.stringify(plaintext)))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', cty: PRESENTATION_CONTENT_TYPE, kid: KID, ...header })
    .setKeyManagementParameters(parameters)
    .encrypt(to);
}

/**
 * ECDH-ES + A256GCM by hand with any protected header, so header checks can be tested on JWEs that are
 * otherwise perfectly valid (a forged header alone would already fail the tag).
 */
function handEncrypt(header: Record<string, unknown>, plaintext: unknown, to: KeyObject): string {
  const ephemeral = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { kty, crv, x, y } = ephemeral.publicKey.export({ format: 'jwk' });
  const full = {
    alg: 'ECDH-ES',
    enc: 'A256GCM',
    cty: PRESENTATION_CONTENT_TYPE,
    kid: KID,
    epk: { kty, crv, x, y },
    ...header,
  };
  const protectedHeader = Buffer.from(JSON.stringify(full)).toString('base64url');
  const z = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: to });
  const key = concatKdf(z, 'A256GCM', Buffer.alloc(0), Buffer.alloc(0), 256);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(protectedHeader, 'ascii'));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(plaintext)), cipher.final()]);
  return [
    protectedHeader,
    '',
    iv.toString('base64url'),
    ciphertext.toString('base64url'),
    cipher.getAuthTag().toString('base64url'),
  ].join('.');
}

/** Replaces part `index` of a compact JWE. */
function withPart(jwe: string, index: number, part: string): string {
  const parts = jwe.split('.');
  parts[index] = part;
  return parts.join('.');
}

function flipFirstByte(part: string): string {
  const bytes = Buffer.from(part, 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  return bytes.toString('base64url');
}

describe('decryptPresentation (ECDH-ES + A256GCM by hand, ECDH injected)', () => {
  const bank = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const deriveSharedSecret = softwareKeyAgreement(bank.privateKey);
  const plaintext = { personId: 'did:key:zDn...', disclosures: ['a', 'b'], consent: 'x.y.z', note: 'ünïcødé' };

  it('decrypts what jose CompactEncrypt produced, returning the JSON object', async () => {
    const jwe = await encrypt(plaintext, bank.publicKey);
    assert.deepEqual(await decryptPresentation(jwe, { deriveSharedSecret, expectedKid: KID }), plaintext);
  });

  it('honours apu and apv in the key derivation', async () => {
    const jwe = await encrypt(plaintext, bank.publicKey, {}, { apu: Buffer.from('wallet'), apv: Buffer.from(KID) });
    assert.deepEqual(await decryptPresentation(jwe, { deriveSharedSecret }), plaintext);
  });

  it('round-trips arbitrary JSON objects (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string(), fc.jsonValue()), async (value) => {
        const jwe = await encrypt(value, bank.publicKey);
        assert.deepEqual(await decryptPresentation(jwe, { deriveSharedSecret }), JSON.parse(JSON.stringify(value)));
      }),
      { numRuns: 25 },
    );
  });

  it('gives the ephemeral key to deriveSharedSecret as a P-256 public KeyObject', async () => {
    const seen: KeyObject[] = [];
    const jwe = await encrypt(plaintext, bank.publicKey);
    await decryptPresentation(jwe, {
      deriveSharedSecret: (epk) => {
        seen.push(epk);
        return deriveSharedSecret(epk);
      },
    });
    const [epk] = seen;
    assert.equal(seen.length, 1);
    assert.ok(epk);
    assert.equal(epk.type, 'public');
    assert.equal(epk.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('refuses tampered ciphertext, tag, iv and protected header', async () => {
    const jwe = await encrypt(plaintext, bank.publicKey);
    const parts = jwe.split('.');
    for (const index of [0, 2, 3, 4]) {
      await assert.rejects(
        decryptPresentation(withPart(jwe, index, flipFirstByte(parts[index] ?? '')), { deriveSharedSecret }),
        failed,
      );
    }
  });

  it('refuses a header re-encoded with the same meaning (the AAD is the header as sent)', async () => {
    const jwe = await encrypt(plaintext, bank.publicKey);
    const header = JSON.parse(Buffer.from(jwe.split('.')[0] ?? '', 'base64url').toString()) as Record<string, unknown>;
    const reordered = Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(header).reverse()))).toString(
      'base64url',
    );
    await assert.rejects(decryptPresentation(withPart(jwe, 0, reordered), { deriveSharedSecret }), failed);
  });

  it('refuses a JWE for another key', async () => {
    const jwe = await encrypt(plaintext, other.publicKey);
    await assert.rejects(decryptPresentation(jwe, { deriveSharedSecret }), failed);
  });

  it('refuses other algorithms: ECDH-ES+A256KW, A128GCM, dir', async () => {
    await assert.rejects(
      decryptPresentation(await encrypt(plaintext, bank.publicKey, { alg: 'ECDH-ES+A256KW' }), { deriveSharedSecret }),
      failed,
    );
    await assert.rejects(
      decryptPresentation(await encrypt(plaintext, bank.publicKey, { enc: 'A128GCM' }), { deriveSharedSecret }),
      failed,
    );
    const forged = Buffer.from(
      JSON.stringify({ alg: 'dir', enc: 'A256GCM', cty: PRESENTATION_CONTENT_TYPE, kid: KID }),
    ).toString('base64url');
    const jwe = await encrypt(plaintext, bank.publicKey);
    await assert.rejects(decryptPresentation(withPart(jwe, 0, forged), { deriveSharedSecret }), failed);
  });

  it('accepts a hand-made JWE with the expected header (the helper below is sound)', async () => {
    assert.deepEqual(
      await decryptPresentation(handEncrypt({}, plaintext, bank.publicKey), { deriveSharedSecret }),
      plaintext,
    );
  });

  it('refuses otherwise valid JWEs with a wrong alg, enc, cty or kid, zip, crit or unknown parameters', async () => {
    const headers: Record<string, unknown>[] = [
      { alg: 'ECDH-ES+A256KW' },
      { enc: 'A128GCM' },
      { cty: 'application/json' },
      { cty: undefined },
      { kid: undefined },
      { kid: 7 },
      { kid: 'k'.repeat(129) },
      { zip: 'DEF' },
      { crit: ['exp'], exp: 1 },
      { jku: 'http://127.0.0.1/keys' },
      { typ: 'JWT' },
    ];
    for (const header of headers) {
      await assert.rejects(
        decryptPresentation(handEncrypt(header, plaintext, bank.publicKey), { deriveSharedSecret }),
        failed,
        JSON.stringify(header),
      );
    }
    const jwe = await encrypt(plaintext, bank.publicKey);
    await assert.rejects(decryptPresentation(jwe, { deriveSharedSecret, expectedKid: 'another-registration' }), failed);
  });

  it('refuses an epk that is not exactly a P-256 public point, before any ECDH', async () => {
    const jwe = await encrypt(plaintext, bank.publicKey);
    const header = JSON.parse(Buffer.from(jwe.split('.')[0] ?? '', 'base64url').toString()) as {
      epk: Record<string, string>;
    };
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ format: 'jwk' });
    const epks = [
      { ...header.epk, y: header.epk.x }, // off the curve
      { ...header.epk, d: bank.privateKey.export({ format: 'jwk' }).d },
      { ...header.epk, kid: 'extra' },
      { ...header.epk, x: `${header.epk.x ?? ''}A` },
      p384,
      { kty: 'OKP', crv: 'X25519', x: header.epk.x },
      'not a key',
      undefined,
    ];
    let calls = 0;
    const counting = (epk: KeyObject): Promise<Buffer> => {
      calls++;
      return deriveSharedSecret(epk);
    };
    for (const epk of epks) {
      const forged = Buffer.from(JSON.stringify({ ...header, epk })).toString('base64url');
      await assert.rejects(decryptPresentation(withPart(jwe, 0, forged), { deriveSharedSecret: counting }), failed);
    }
    assert.equal(calls, 0);
  });

  it('refuses an encrypted key part, short iv or tag, wrong part count and non-strings', async () => {
    const jwe = await encrypt(plaintext, bank.publicKey);
    const bad = [
      withPart(jwe, 1, 'AAAA'),
      withPart(jwe, 2, 'AAAA'),
      withPart(jwe, 4, 'AAAAAAAAAAAAAAAAAAAA'),
      jwe.split('.').slice(0, 4).join('.'),
      `${jwe}.`,
      '',
      42,
      null,
    ];
    for (const value of bad) {
      await assert.rejects(decryptPresentation(value, { deriveSharedSecret }), failed);
    }
  });

  it('refuses a JWE over the size cap without calling the HSM', async () => {
    let calls = 0;
    const big = await encrypt({ pad: 'x'.repeat(MAX_PRESENTATION_JWE_LENGTH) }, bank.publicKey);
    await assert.rejects(
      decryptPresentation(big, {
        deriveSharedSecret: (epk) => {
          calls++;
          return deriveSharedSecret(epk);
        },
      }),
      failed,
    );
    assert.equal(calls, 0);
  });

  it('refuses a valid JWE whose plaintext is not a JSON object', async () => {
    for (const value of [[1, 2], 'text', 7, null]) {
      await assert.rejects(decryptPresentation(await encrypt(value, bank.publicKey), { deriveSharedSecret }), failed);
    }
  });

  it('hides HSM errors as KYC_DECRYPTION_FAILED but passes KYC_UNAVAILABLE through', async () => {
    const jwe = await encrypt(plaintext, bank.publicKey);
    await assert.rejects(
      decryptPresentation(jwe, { deriveSharedSecret: () => Promise.reject(new Error('CKR_KEY_HANDLE_INVALID')) }),
      failed,
    );
    await assert.rejects(
      decryptPresentation(jwe, { deriveSharedSecret: () => Promise.resolve(Buffer.alloc(16)) }),
      failed,
    );
    await assert.rejects(
      decryptPresentation(jwe, {
        deriveSharedSecret: () => Promise.reject(new KycError('KYC_UNAVAILABLE', 'HSM down')),
      }),
      (error: unknown) => error instanceof KycError && error.code === 'KYC_UNAVAILABLE',
    );
  });
});

describe('decryptEvidence (same JWE profile, cty kyc-evidence+json, a larger cap)', () => {
  const certifier = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const deriveSharedSecret = softwareKeyAgreement(certifier.privateKey);
  const CERTIFICATION = 'cert-0123456789abcdef';
  const plaintext = { request: 'a.b.c', files: { selfie: 'bWU', document: 'ZG9j' } };
  const toCertifier = (value: unknown, header: Partial<CompactJWEHeaderParameters> = {}): Promise<string> =>
    encrypt(value, certifier.publicKey, { cty: EVIDENCE_CONTENT_TYPE, kid: CERTIFICATION, ...header });

  function evidenceFailed(error: unknown): boolean {
    assert.ok(error instanceof KycError, `expected KycError, got ${String(error)}`);
    assert.equal(error.code, 'KYC_DECRYPTION_FAILED');
    assert.equal(error.message, 'KYC_DECRYPTION_FAILED: the evidence could not be decrypted');
    assert.equal(error.cause, undefined);
    return true;
  }

  it('decrypts an evidence JWE for its certification id', async () => {
    const jwe = await toCertifier(plaintext);
    assert.deepEqual(await decryptEvidence(jwe, { deriveSharedSecret, expectedKid: CERTIFICATION }), plaintext);
    assert.deepEqual(await decryptEvidence(jwe, { deriveSharedSecret }), plaintext);
  });

  it('refuses a presentation JWE, and decryptPresentation refuses an evidence JWE', async () => {
    const presentation = await toCertifier(plaintext, { cty: PRESENTATION_CONTENT_TYPE });
    await assert.rejects(decryptEvidence(presentation, { deriveSharedSecret }), evidenceFailed);
    const evidence = await toCertifier(plaintext);
    await assert.rejects(decryptPresentation(evidence, { deriveSharedSecret }), failed);
    // Also with a hand-made JWE (valid tag over the header as sent): the cty alone decides.
    await assert.rejects(
      decryptEvidence(handEncrypt({ kid: CERTIFICATION }, plaintext, certifier.publicKey), { deriveSharedSecret }),
      evidenceFailed,
    );
    assert.deepEqual(
      await decryptEvidence(
        handEncrypt({ kid: CERTIFICATION, cty: EVIDENCE_CONTENT_TYPE }, plaintext, certifier.publicKey),
        { deriveSharedSecret },
      ),
      plaintext,
    );
  });

  it('refuses a JWE whose kid is another certification', async () => {
    const jwe = await toCertifier(plaintext);
    await assert.rejects(decryptEvidence(jwe, { deriveSharedSecret, expectedKid: 'cert-other' }), evidenceFailed);
    const other = await toCertifier(plaintext, { kid: 'cert-other' });
    await assert.rejects(decryptEvidence(other, { deriveSharedSecret, expectedKid: CERTIFICATION }), evidenceFailed);
  });

  it('refuses a JWE for another key and a tampered one', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const foreign = await encrypt(plaintext, stranger.publicKey, { cty: EVIDENCE_CONTENT_TYPE, kid: CERTIFICATION });
    await assert.rejects(decryptEvidence(foreign, { deriveSharedSecret }), evidenceFailed);
    const jwe = await toCertifier(plaintext);
    const tampered = withPart(jwe, 3, flipFirstByte(jwe.split('.')[3] ?? ''));
    await assert.rejects(decryptEvidence(tampered, { deriveSharedSecret }), evidenceFailed);
  });

  it('accepts a JWE longer than the presentation cap, refuses one over the evidence cap unread', async () => {
    const photo = 'x'.repeat(MAX_PRESENTATION_JWE_LENGTH * 2);
    const large = await toCertifier({ request: 'a.b.c', files: { document: photo } });
    assert.ok(large.length > MAX_PRESENTATION_JWE_LENGTH);
    assert.equal(
      ((await decryptEvidence(large, { deriveSharedSecret })).files as { document: string }).document.length,
      photo.length,
    );
    let calls = 0;
    const counting = (epk: KeyObject): Promise<Buffer> => {
      calls++;
      return deriveSharedSecret(epk);
    };
    const huge = await toCertifier({ pad: 'x'.repeat(Math.ceil((MAX_EVIDENCE_JWE_LENGTH * 3) / 4)) });
    assert.ok(huge.length > MAX_EVIDENCE_JWE_LENGTH);
    await assert.rejects(decryptEvidence(huge, { deriveSharedSecret: counting }), evidenceFailed);
    assert.equal(calls, 0);
  });

  it('passes KYC_UNAVAILABLE from the HSM through', async () => {
    const jwe = await toCertifier(plaintext);
    await assert.rejects(
      decryptEvidence(jwe, { deriveSharedSecret: () => Promise.reject(new KycError('KYC_UNAVAILABLE', 'HSM down')) }),
      (error: unknown) => error instanceof KycError && error.code === 'KYC_UNAVAILABLE',
    );
  });
});
