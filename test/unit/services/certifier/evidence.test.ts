import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import {
  createEvidenceRequest,
  EVIDENCE_CONTENT_TYPE,
  evidencePlaintext,
  KycError,
  type EvidenceFiles,
  type RegistrationPayload,
} from '../../../../protocol/src';
import { decryptEvidence } from '../../../../protocol/src/jose';
import { evidenceSummary, type Evidence } from '../../../../intake/src/evidence';
import type { MrzClaims } from '../../../../intake/src/mrz/claims';
import { CertificationService, supportedLevel } from '../../../../services/src/certifier/certifications';
import { EvidenceService } from '../../../../services/src/certifier/evidence';
import type { KycStore } from '../../../../store/src';
import { softwareKeyAgreement } from '../../../support/software-keys';
import {
  CLAIMS_SALT,
  certificationRequest,
  isKycError,
  newPerson,
  rawCount,
  rawRows,
  recordFrom,
  stubLedger,
  tempDir,
  testStore,
  type Person,
  type StubLedger,
} from '../fakes';

const CERTIFIER = 'CertifierMSP';
const CLAIMS = { given_name: 'Augusta Ada', family_name: 'Lovelace-Byron', birthdate: '1815-12-10' };
// What the "intake engine" read: values long and odd enough that no ciphertext contains one by chance.
const READ: MrzClaims = {
  given_name: 'AUGUSTA ADA',
  family_name: 'LOVELACE-BYRON',
  birthdate: '1815-12-10',
  sex: 'F',
  nationality: 'GBR',
  document_number: 'QX7Z94KW3',
  document_expiry: '2031-04-15',
  document_type: 'passport',
  issuing_state: 'GBR',
};
const OCR_VERSIONS = { engine: 'tesseract-7', language: 'ocrb', templates: 't1', parser: 'mrz-5' };
const FACE = { distance: 0.21, threshold: 0.45, match: true, versions: { library: 'f', backend: 'b', models: 'm' } };

/** OCR with valid check digits (and a repair), a face match against the printed photo: level 2. */
const LEVEL_2: Evidence = {
  ocr: {
    format: 'TD3',
    fields: READ,
    checkDigitsValid: true,
    repairs: [{ field: 'document_number', line: 2, column: 1, from: 'O', to: '0', reason: 'format' }],
    versions: OCR_VERSIONS,
  },
  face: { against: 'document-photo', ...FACE },
  inputHashes: { document: 'a'.repeat(64), selfie: 'b'.repeat(64) },
};
/** Chip passive authentication and a face match against DG2: level 3. */
const LEVEL_3: Evidence = {
  ocr: LEVEL_2.ocr,
  chip: {
    passiveAuthentication: true,
    signer: { subject: 'CN=Document Signer GBR', serial: '0a', issuer: 'CN=CSCA GBR' },
    hashAlgorithm: 'sha256',
    dataGroups: [1, 2],
    fields: READ,
    checkedAt: '2026-01-02T03:04:05.000Z',
  },
  face: { against: 'dg2', ...FACE },
  inputHashes: { document: 'a'.repeat(64), selfie: 'b'.repeat(64), sod: 'c'.repeat(64) },
};

const PHOTO_FILES: EvidenceFiles = {
  document: new Uint8Array(Buffer.from('jpeg bytes of the MRZ side')),
  selfie: new Uint8Array(Buffer.from('jpeg bytes of a selfie')),
};

describe('certifier service: evidence (EvidenceService over CertificationService and the store)', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: KycStore;
  let ledger: StubLedger;
  let certifications: CertificationService;
  let evidence: EvidenceService;
  let checked: { files: EvidenceFiles; claims: Readonly<Record<string, string>> }[];
  let checkResult: () => Promise<Evidence>;
  const person = newPerson();
  const certifierKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { x, y } = certifierKey.publicKey.export({ format: 'jwk' });
  const encryptionJwk: RegistrationPayload['enc_jwk'] = { kty: 'EC', crv: 'P-256', x: x ?? '', y: y ?? '' };

  beforeEach(async () => {
    dir = tempDir();
    store = await testStore(dir.path);
    ledger = stubLedger();
    ledger.certify.callsFake((personId: string, ...rest: unknown[]) =>
      Promise.resolve(recordFrom(personId, CERTIFIER, rest)),
    );
    certifications = new CertificationService({
      mspId: CERTIFIER,
      store,
      validityDays: 365,
      decoyDigests: 2,
      nonceTtlSeconds: 600,
      ledgerFor: () => ledger,
    });
    checked = [];
    checkResult = () => Promise.resolve(LEVEL_2);
    evidence = new EvidenceService({
      certifications,
      encryptionJwk,
      decrypt: (jwe, certificationId) =>
        decryptEvidence(jwe, {
          deriveSharedSecret: softwareKeyAgreement(certifierKey.privateKey),
          expectedKid: certificationId,
        }),
      check: (files, claims) => {
        checked.push({ files, claims });
        return checkResult();
      },
    });
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  async function submitCertification(who: Person = person): Promise<string> {
    const { nonce } = await certifications.issueNonce();
    const request = await certificationRequest(who, { aud: CERTIFIER, nonce, claims: CLAIMS });
    const { id } = await certifications.submit({
      personId: who.id,
      kind: 'identity',
      claims: CLAIMS,
      claimsSalt: CLAIMS_SALT,
      request,
    });
    return id;
  }

  /** What the wallet sends (wallet/src/certifier-client.ts submitEvidence), with knobs to make it wrong. */
  async function evidenceJwe(
    who: { id: string; sign: Person['sign'] },
    certificationId: string,
    options: {
      files?: EvidenceFiles;
      sentFiles?: EvidenceFiles;
      kid?: string;
      certifier?: string;
      to?: KeyObject;
    } = {},
  ): Promise<string> {
    const files = options.files ?? PHOTO_FILES;
    const request = await createEvidenceRequest({
      personId: who.id,
      sign: who.sign,
      certifier: options.certifier ?? CERTIFIER,
      certificationId,
      files,
    });
    const plaintext = Buffer.from(JSON.stringify(evidencePlaintext(request, options.sentFiles ?? files)), 'utf8');
    return new CompactEncrypt(plaintext)
      .setProtectedHeader({
        alg: 'ECDH-ES',
        enc: 'A256GCM',
        cty: EVIDENCE_CONTENT_TYPE,
        kid: options.kid ?? certificationId,
      })
      .encrypt(options.to ?? certifierKey.publicKey);
  }

  /** The stored record's personal evidence (the full one, while pending), read through the store API. */
  async function storedEvidence(id: string): Promise<unknown> {
    const record = await store.get('certifications', id);
    assert.ok(record !== undefined);
    return record.personal?.evidence;
  }

  const usedRequests = (): number => rawCount(dir.path, 'nonces', 'collected');

  it('keeps accepted evidence with the certification; the officer may approve up to the level it supports', async () => {
    const id = await submitCertification();
    const answer = await evidence.submit(id, await evidenceJwe(person, id));
    assert.deepEqual(answer, {
      id,
      status: 'pending',
      supportedLevel: 2,
      document: { checkDigitsValid: true, repairs: 1 },
      face: { against: 'document-photo', match: true },
    });
    // The intake engine saw exactly the files sent, and the pending claims.
    assert.equal(checked.length, 1);
    const [call] = checked;
    assert.ok(call !== undefined);
    assert.deepEqual(call.claims, CLAIMS);
    assert.deepEqual(Object.keys(call.files).sort(), ['document', 'selfie']);
    assert.ok(Buffer.from(call.files.document ?? []).equals(Buffer.from(PHOTO_FILES.document ?? [])));
    assert.ok(Buffer.from(call.files.selfie ?? []).equals(Buffer.from(PHOTO_FILES.selfie ?? [])));

    assert.deepEqual(await storedEvidence(id), JSON.parse(JSON.stringify(LEVEL_2)));
    const pending = await certifications.get(id);
    assert.deepEqual(pending.evidence, LEVEL_2);
    assert.equal(supportedLevel(pending), 2);
    // Personal while pending: not in plaintext anywhere in the database file.
    assert.ok(!rawRows(dir.path).includes(READ.document_number));
    assert.ok(rawRows(dir.path).includes(id), 'control: the id is a plain column');

    await assert.rejects(certifications.approve(id, 'officer1', 3), isKycError('KYC_FORBIDDEN'));
    assert.equal(ledger.certify.callCount, 0, 'nothing reaches the ledger above the supported level');
    assert.equal((await certifications.get(id)).status, 'pending');
    const approved = await certifications.approve(id, 'officer1', 2);
    assert.equal(approved.status, 'approved');
    assert.equal(ledger.certify.callCount, 1);
    const [, , commitment] = ledger.certify.firstCall.args as [string, string, { level: number }];
    assert.equal(commitment.level, 2);
  });

  it('approves at level 1 at most without evidence (KYC_FORBIDDEN above)', async () => {
    const id = await submitCertification();
    await assert.rejects(certifications.approve(id, 'officer1', 2), isKycError('KYC_FORBIDDEN'));
    await assert.rejects(certifications.approve(id, 'officer1', 3), isKycError('KYC_FORBIDDEN'));
    assert.equal(ledger.certify.callCount, 0);
    assert.equal(supportedLevel(await certifications.get(id)), 1);
    const approved = await certifications.approve(id, 'officer1', 1);
    assert.equal(approved.status, 'approved');
    assert.equal(approved.record?.level, 1);
  });

  it('approves at level 3 with chip evidence that supports it', async () => {
    checkResult = () => Promise.resolve(LEVEL_3);
    const id = await submitCertification();
    const answer = await evidence.submit(id, await evidenceJwe(person, id));
    assert.equal(answer.supportedLevel, 3);
    assert.deepEqual(answer.chip, { passiveAuthentication: true, signer: 'CN=Document Signer GBR' });
    assert.equal((await certifications.approve(id, 'officer1', 3)).record?.level, 3);
  });

  it("refuses evidence signed by another person's key for this certification (KYC_NOT_FOUND), keeping nothing", async () => {
    const id = await submitCertification();
    const other = newPerson();
    // A valid signature by `other`, whose did is not the certification's person.
    await assert.rejects(evidence.submit(id, await evidenceJwe(other, id)), isKycError('KYC_NOT_FOUND'));
    // Someone else's key claiming to be the person: the signature does not hold.
    await assert.rejects(
      evidence.submit(id, await evidenceJwe({ id: person.id, sign: other.sign }, id)),
      isKycError('KYC_BAD_SIGNATURE'),
    );
    assert.equal(checked.length, 0, 'the intake engine never ran');
    assert.equal(await storedEvidence(id), undefined);
    assert.equal((await certifications.get(id)).evidence, undefined);
    assert.equal(usedRequests(), 0, 'nor was the request remembered');
    await assert.rejects(certifications.approve(id, 'officer1', 2), isKycError('KYC_FORBIDDEN'));
    // An unknown certification id answers the same.
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    await assert.rejects(evidence.submit(unknown, await evidenceJwe(person, unknown)), isKycError('KYC_NOT_FOUND'));
  });

  it('accepts an evidence JWE once: the same one posted again is KYC_CONFLICT', async () => {
    const id = await submitCertification();
    const jwe = await evidenceJwe(person, id);
    await evidence.submit(id, jwe);
    await assert.rejects(evidence.submit(id, jwe), isKycError('KYC_CONFLICT'));
    assert.equal(checked.length, 1, 'the intake engine ran once');
    assert.equal(usedRequests(), 1);
    // A freshly signed submission replaces the evidence.
    checkResult = () => Promise.resolve(LEVEL_3);
    assert.equal((await evidence.submit(id, await evidenceJwe(person, id))).supportedLevel, 3);
    assert.equal(supportedLevel(await certifications.get(id)), 3);
  });

  it('keeps no evidence when the intake engine refuses the files, and accepts a new submission later', async () => {
    const id = await submitCertification();
    checkResult = () => Promise.reject(new KycError('KYC_MISMATCH', 'the selfie does not match the portrait'));
    await assert.rejects(evidence.submit(id, await evidenceJwe(person, id)), isKycError('KYC_MISMATCH'));
    assert.equal(checked.length, 1);
    assert.equal(await storedEvidence(id), undefined);
    assert.equal((await certifications.get(id)).evidence, undefined);
    await assert.rejects(certifications.approve(id, 'officer1', 2), isKycError('KYC_FORBIDDEN'));
    checkResult = () => Promise.resolve(LEVEL_2);
    assert.equal((await evidence.submit(id, await evidenceJwe(person, id))).supportedLevel, 2);
  });

  it('refuses evidence not for this certification, this certifier or these files, keeping nothing', async () => {
    const id = await submitCertification();
    const second = await submitCertification();
    const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cases: [string, Promise<string>, string][] = [
      ['JWE for another certification id', evidenceJwe(person, id, { kid: second }), 'KYC_DECRYPTION_FAILED'],
      ['JWE to another key', evidenceJwe(person, id, { to: stranger.publicKey }), 'KYC_DECRYPTION_FAILED'],
      // The person's own other certification named inside, in a JWE addressed to this one.
      ['request for another certification', evidenceJwe(person, second, { kid: id }), 'KYC_MISMATCH'],
      ['request to another certifier', evidenceJwe(person, id, { certifier: 'OtherMSP' }), 'KYC_MISMATCH'],
      [
        'files other than those signed',
        evidenceJwe(person, id, {
          sentFiles: { ...PHOTO_FILES, selfie: new Uint8Array(Buffer.from('another selfie')) },
        }),
        'KYC_MISMATCH',
      ],
    ];
    for (const [name, jwe, code] of cases) {
      await assert.rejects(evidence.submit(id, await jwe), isKycError(code), name);
    }
    assert.equal(checked.length, 0);
    assert.equal(await storedEvidence(id), undefined);
    assert.equal(await storedEvidence(second), undefined);
  });

  it('refuses evidence for a decided certification (KYC_CONFLICT)', async () => {
    const id = await submitCertification();
    await certifications.reject(id, 'officer1', 'left the branch');
    await assert.rejects(evidence.submit(id, await evidenceJwe(person, id)), isKycError('KYC_CONFLICT'));
    assert.equal(checked.length, 0);
  });

  it('drops the full evidence with the decision and keeps its summary, without fields, as non-personal data', async () => {
    checkResult = () => Promise.resolve(LEVEL_3);
    const id = await submitCertification();
    await evidence.submit(id, await evidenceJwe(person, id));
    assert.deepEqual(await storedEvidence(id), JSON.parse(JSON.stringify(LEVEL_3)), 'control: kept while pending');
    await certifications.approve(id, 'officer1', 3);

    const record = await store.get('certifications', id);
    assert.ok(record !== undefined);
    assert.equal(record.status, 'approved');
    assert.deepEqual(Object.keys(record.personal ?? {}), ['disclosures'], 'no evidence and no claims are personal');
    const summary = (record.data as { evidence?: Evidence }).evidence;
    assert.ok(summary?.ocr !== undefined && summary.chip !== undefined);
    assert.equal(summary.ocr.fields, undefined);
    assert.equal(summary.chip.fields, undefined);
    assert.deepEqual(summary.ocr.repairs, [{ field: 'document_number', line: 2, column: 1, reason: 'format' }]);
    assert.deepEqual(summary.face, LEVEL_3.face);
    assert.deepEqual(summary.inputHashes, LEVEL_3.inputHashes);
    assert.deepEqual(summary, JSON.parse(JSON.stringify(evidenceSummary(LEVEL_3))));
    // Nothing read from the document is left, in the record or anywhere in the file.
    const raw = rawRows(dir.path);
    for (const value of [READ.document_number, READ.family_name, READ.given_name]) {
      assert.ok(!JSON.stringify(record.data).includes(value), `${value} in the record's data`);
      assert.ok(!raw.includes(value), `${value} in the database file`);
    }
    const decided = await certifications.get(id);
    assert.deepEqual(decided.evidence, evidenceSummary(LEVEL_3));
    assert.equal(decided.claims, undefined);
  });

  it('drops the full evidence on a rejection too', async () => {
    const id = await submitCertification();
    await evidence.submit(id, await evidenceJwe(person, id));
    await certifications.reject(id, 'officer1', 'photo too old');
    const record = await store.get('certifications', id);
    assert.ok(record !== undefined);
    assert.equal(record.personal?.evidence, undefined);
    assert.deepEqual(
      (record.data as { evidence?: unknown }).evidence,
      JSON.parse(JSON.stringify(evidenceSummary(LEVEL_2))),
    );
  });
});
