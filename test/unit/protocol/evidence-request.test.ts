import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  EVIDENCE_ROLES,
  KycError,
  MAX_EVIDENCE_BYTES,
  TYP,
  createEvidenceRequest,
  decodeJws,
  evidenceDigest,
  evidencePlaintext,
  parseEvidencePlaintext,
  signJws,
  verifyEvidenceRequest,
  type EvidenceFiles,
} from '../../../protocol/src';
import { newPerson } from '../../../protocol/testing/simulated-person';

const isCode =
  (code: string) =>
  (err: unknown): boolean =>
    err instanceof KycError && err.code === code;

const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));

/** A document photo and a selfie (level 2 path). */
const PHOTO_FILES: EvidenceFiles = { document: bytes('jpeg of the MRZ side'), selfie: bytes('jpeg of a face') };
/** A selfie and the chip's three files (level 3 path). */
const CHIP_FILES: EvidenceFiles = {
  selfie: bytes('jpeg of a face'),
  sod: bytes('EF.SOD'),
  dg1: bytes('DG1 MRZ'),
  dg2: bytes('DG2 portrait'),
};

describe('evidence request', () => {
  const person = newPerson();
  const base = { personId: person.id, sign: person.sign, certifier: 'CertifierMSP', certificationId: 'cert-1' };
  const expected = (now = new Date()) => ({ audience: 'CertifierMSP', now });

  it('evidenceDigest is SHA-256, base64url without padding', () => {
    assert.equal(evidenceDigest(bytes('abc')), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    assert.equal(evidenceDigest(new Uint8Array(0)), createHash('sha256').digest('base64url'));
  });

  it('round-trips: a kyc-evidence-request+jwt over { sub, aud, certification_id, iat, exp, jti, inputs }', async () => {
    const token = await createEvidenceRequest({ ...base, files: PHOTO_FILES });
    const jws = decodeJws(token, TYP.evidenceRequest);
    assert.deepEqual(Object.keys(jws.payload).sort(), [
      'aud',
      'certification_id',
      'exp',
      'iat',
      'inputs',
      'jti',
      'sub',
    ]);
    const { payload, id } = verifyEvidenceRequest(token, PHOTO_FILES, expected());
    assert.equal(payload.sub, person.id);
    assert.equal(payload.aud, 'CertifierMSP');
    assert.equal(payload.certification_id, 'cert-1');
    assert.equal(payload.exp - payload.iat, 300);
    assert.deepEqual(payload.inputs, {
      document: evidenceDigest(PHOTO_FILES.document ?? new Uint8Array()),
      selfie: evidenceDigest(PHOTO_FILES.selfie ?? new Uint8Array()),
    });
    assert.equal(id, jws.id);
    const again = await createEvidenceRequest({ ...base, files: PHOTO_FILES });
    assert.notEqual(verifyEvidenceRequest(again, PHOTO_FILES, expected()).id, id, 'a fresh jti each time');
  });

  it('round-trips the chip files, also through the JWE plaintext', async () => {
    const token = await createEvidenceRequest({ ...base, files: CHIP_FILES });
    const wire = JSON.parse(JSON.stringify(evidencePlaintext(token, CHIP_FILES))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(wire).sort(), ['files', 'request']);
    assert.deepEqual(Object.keys(wire.files as object).sort(), ['dg1', 'dg2', 'selfie', 'sod']);
    const { request, files } = parseEvidencePlaintext(wire);
    assert.equal(request, token);
    for (const role of EVIDENCE_ROLES) {
      const sent = CHIP_FILES[role];
      const got = files[role];
      assert.equal(got === undefined, sent === undefined, role);
      if (sent !== undefined && got !== undefined) assert.ok(Buffer.from(got).equals(Buffer.from(sent)), role);
    }
    const { payload } = verifyEvidenceRequest(request, files, expected());
    assert.deepEqual(Object.keys(payload.inputs).sort(), ['dg1', 'dg2', 'selfie', 'sod']);
  });

  it('refuses another certifier as audience with KYC_MISMATCH', async () => {
    const token = await createEvidenceRequest({ ...base, files: PHOTO_FILES });
    assert.throws(
      () => verifyEvidenceRequest(token, PHOTO_FILES, { audience: 'OtherMSP', now: new Date() }),
      isCode('KYC_MISMATCH'),
    );
  });

  it('refuses files other than those signed (changed, added, missing) with KYC_MISMATCH', async () => {
    const token = await createEvidenceRequest({ ...base, files: PHOTO_FILES });
    const variants: [string, EvidenceFiles][] = [
      ['selfie changed', { ...PHOTO_FILES, selfie: bytes('jpeg of another face') }],
      ['document changed by one byte', { ...PHOTO_FILES, document: bytes('jpeg of the MRZ sidf') }],
      ['files swapped', { document: PHOTO_FILES.selfie, selfie: PHOTO_FILES.document }],
      ['sod added', { ...PHOTO_FILES, sod: bytes('EF.SOD') }],
      ['document missing', { selfie: PHOTO_FILES.selfie }],
      ['no files', {}],
    ];
    for (const [name, files] of variants) {
      assert.throws(() => verifyEvidenceRequest(token, files, expected()), isCode('KYC_MISMATCH'), name);
    }
    // Control: the signed files themselves pass.
    verifyEvidenceRequest(token, { ...PHOTO_FILES }, expected());
  });

  it('refuses an expired request with KYC_EXPIRED', async () => {
    const token = await createEvidenceRequest({ ...base, files: PHOTO_FILES });
    assert.throws(
      () => verifyEvidenceRequest(token, PHOTO_FILES, expected(new Date(Date.now() + 301_000))),
      isCode('KYC_EXPIRED'),
    );
    const old = await createEvidenceRequest({ ...base, files: PHOTO_FILES, now: new Date(Date.now() - 301_000) });
    assert.throws(() => verifyEvidenceRequest(old, PHOTO_FILES, expected()), isCode('KYC_EXPIRED'));
    // Control: just before expiry it is still fresh.
    verifyEvidenceRequest(token, PHOTO_FILES, expected(new Date(Date.now() + 290_000)));
  });

  it('refuses a request signed by another key than its sub with KYC_BAD_SIGNATURE', async () => {
    const other = newPerson();
    const forged = await createEvidenceRequest({ ...base, sign: other.sign, files: PHOTO_FILES });
    assert.throws(() => verifyEvidenceRequest(forged, PHOTO_FILES, expected()), isCode('KYC_BAD_SIGNATURE'));
  });

  it('refuses to build a request with an incomplete set of files or a malformed id (KYC_INVALID_ARGUMENT)', async () => {
    const { document, selfie, sod, dg1, dg2 } = { ...PHOTO_FILES, ...CHIP_FILES };
    const incomplete: [string, EvidenceFiles][] = [
      ['no selfie (document only)', { document }],
      ['no selfie (chip only)', { sod, dg1, dg2 }],
      ['selfie only', { selfie }],
      ['sod without dg1 and dg2', { selfie, sod }],
      ['sod and dg1 without dg2', { selfie, sod, dg1 }],
      ['dg1 and dg2 without sod', { selfie, dg1, dg2 }],
      ['a document with a partial chip', { document, selfie, dg2 }],
      ['nothing', {}],
    ];
    for (const [name, files] of incomplete) {
      await assert.rejects(createEvidenceRequest({ ...base, files }), isCode('KYC_INVALID_ARGUMENT'), name);
    }
    await assert.rejects(
      createEvidenceRequest({ ...base, certificationId: '../x', files: PHOTO_FILES }),
      isCode('KYC_INVALID_ARGUMENT'),
    );
    await assert.rejects(
      createEvidenceRequest({ ...base, certifier: 'Other MSP', files: PHOTO_FILES }),
      isCode('KYC_INVALID_ARGUMENT'),
    );
    // Control: a document photo with the complete chip set is a valid combination.
    await createEvidenceRequest({ ...base, files: { document, selfie, sod, dg1, dg2 } });
  });

  it('refuses a correctly signed request whose inputs are malformed (KYC_INVALID_ARGUMENT)', async () => {
    const iat = Math.floor(Date.now() / 1000);
    const digest = evidenceDigest(bytes('x'));
    const signed = (inputs: unknown): Promise<string> =>
      signJws(
        { typ: TYP.evidenceRequest },
        {
          sub: person.id,
          aud: 'CertifierMSP',
          certification_id: 'cert-1',
          iat,
          exp: iat + 300,
          jti: 'abcdefghijklmnopqrstuv',
          inputs,
        },
        person.sign,
      );
    const cases: [string, unknown][] = [
      ['selfie only', { selfie: digest }],
      ['unknown role', { document: digest, selfie: digest, passport: digest }],
      ['not a digest', { document: 'abc', selfie: digest }],
      ['hex digest', { document: createHash('sha256').update('x').digest('hex'), selfie: digest }],
      ['an array', [digest, digest]],
      ['missing', undefined],
    ];
    for (const [name, inputs] of cases) {
      const token = await signed(inputs);
      assert.throws(() => verifyEvidenceRequest(token, {}, expected()), isCode('KYC_INVALID_ARGUMENT'), name);
    }
    // Control: the same helper with valid inputs verifies.
    const ok = await signed({ document: digest, selfie: digest });
    verifyEvidenceRequest(ok, { document: bytes('x'), selfie: bytes('x') }, expected());
  });

  it('refuses a request of another typ (a collection request is not an evidence request)', async () => {
    const iat = Math.floor(Date.now() / 1000);
    const token = await signJws(
      { typ: TYP.collectionRequest },
      {
        sub: person.id,
        aud: 'CertifierMSP',
        certification_id: 'cert-1',
        iat,
        exp: iat + 300,
        jti: 'abcdefghijklmnopqrstuv',
        inputs: { document: evidenceDigest(bytes('d')), selfie: evidenceDigest(bytes('s')) },
      },
      person.sign,
    );
    assert.throws(
      () => verifyEvidenceRequest(token, { document: bytes('d'), selfie: bytes('s') }, expected()),
      isCode('KYC_INVALID_ARGUMENT'),
    );
  });
});

describe('evidence plaintext', () => {
  const b64 = (text: string): string => Buffer.from(text).toString('base64url');
  const good = { request: 'a.b.c', files: { document: b64('doc'), selfie: b64('me') } };

  it('parses { request, files } into bytes by role', () => {
    const { request, files } = parseEvidencePlaintext(good);
    assert.equal(request, 'a.b.c');
    assert.equal(Buffer.from(files.document ?? []).toString(), 'doc');
    assert.equal(Buffer.from(files.selfie ?? []).toString(), 'me');
    assert.equal(files.sod, undefined);
  });

  it('evidencePlaintext encodes only the files given, base64url', () => {
    const plain = evidencePlaintext('a.b.c', { selfie: bytes('me'), dg1: bytes('\u00ff\u00fe?>') });
    assert.deepEqual(plain, { request: 'a.b.c', files: { selfie: b64('me'), dg1: b64('\u00ff\u00fe?>') } });
    assert.doesNotMatch(JSON.stringify(plain), /[+/=]/);
  });

  it('refuses other shapes, unknown roles and non-base64url with KYC_INVALID_ARGUMENT', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['unknown role', { ...good, files: { ...good.files, passport: b64('x') } }],
      ['prototype key', { ...good, files: JSON.parse(`{"__proto__": "${b64('x')}"}`) as unknown }],
      ['standard base64', { ...good, files: { ...good.files, selfie: Buffer.from([0xfb, 0xff]).toString('base64') } }],
      ['padding', { ...good, files: { ...good.files, selfie: 'bWU=' } }],
      ['non-canonical trailing bits', { ...good, files: { ...good.files, selfie: 'bWV' } }],
      ['a number', { ...good, files: { ...good.files, selfie: 7 } }],
      ['null file', { ...good, files: { ...good.files, selfie: null } }],
      ['extra top-level key', { ...good, note: 'x' }],
      ['no request', { files: good.files }],
      ['request not a string', { ...good, request: { a: 1 } }],
      ['no files', { request: 'a.b.c' }],
      ['files an array', { ...good, files: [b64('x')] }],
      ['files null', { ...good, files: null }],
      ['files a string', { ...good, files: b64('x') }],
    ];
    for (const [name, value] of cases) {
      assert.throws(() => parseEvidencePlaintext(value), isCode('KYC_INVALID_ARGUMENT'), name);
    }
    // Control: the canonical encoding of the same byte is accepted.
    assert.equal(
      Buffer.from(parseEvidencePlaintext({ ...good, files: { selfie: 'bWU' } }).files.selfie ?? []).toString(),
      'me',
    );
  });

  it(`refuses more than MAX_EVIDENCE_BYTES (${MAX_EVIDENCE_BYTES}) in all, accepts exactly that`, () => {
    const half = MAX_EVIDENCE_BYTES / 2;
    const document = Buffer.alloc(half, 1).toString('base64url');
    const exact = { request: 'a.b.c', files: { document, selfie: Buffer.alloc(half, 2).toString('base64url') } };
    const parsed = parseEvidencePlaintext(exact);
    assert.equal((parsed.files.document?.length ?? 0) + (parsed.files.selfie?.length ?? 0), MAX_EVIDENCE_BYTES);
    const over = { request: 'a.b.c', files: { document, selfie: Buffer.alloc(half + 1, 2).toString('base64url') } };
    assert.throws(() => parseEvidencePlaintext(over), isCode('KYC_INVALID_ARGUMENT'));
    const oneFile = {
      request: 'a.b.c',
      files: { document: Buffer.alloc(MAX_EVIDENCE_BYTES + 1).toString('base64url') },
    };
    assert.throws(() => parseEvidencePlaintext(oneFile), isCode('KYC_INVALID_ARGUMENT'));
  });
});
