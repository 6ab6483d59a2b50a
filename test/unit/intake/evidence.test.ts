import assert from 'node:assert/strict';
import {
  type Evidence,
  claimsMatchEvidence,
  evidenceSummary,
  levelFromEvidence,
  sha256Hex,
} from '../../../intake/src/evidence';
import type { MrzClaims } from '../../../intake/src/mrz/claims';

const fields: MrzClaims = {
  given_name: 'ANNA MARIA',
  family_name: 'MUELLER',
  birthdate: '1974-08-12',
  sex: 'F',
  nationality: 'DEU',
  document_number: 'C01X00T47',
  document_expiry: '2031-04-15',
  document_type: 'passport',
  issuing_state: 'DEU',
};
const claims = { given_name: 'Anna Maria', family_name: 'Mueller', birthdate: '1974-08-12' };
const versions = { engine: 'e', language: 'l', templates: 't', parser: 'p' };
const faceVersions = { library: 'f', backend: 'b', models: 'm' };
const ocr = { format: 'TD3' as const, fields, checkDigitsValid: true, repairs: [], versions };
const chip = {
  passiveAuthentication: true,
  signer: { subject: 'CN=DS', serial: '01', issuer: 'CN=CSCA' },
  hashAlgorithm: 'sha256',
  dataGroups: [1, 2],
  fields,
  checkedAt: '2026-12-02T00:00:00.000Z',
};
const face = (against: 'document-photo' | 'dg2', match = true) => ({
  against,
  distance: match ? 0.2 : 0.7,
  threshold: 0.45,
  match,
  versions: faceVersions,
});
const hashes = { document: sha256Hex(new Uint8Array([1])) };

describe('intake evidence and assurance level', () => {
  const table: [string, Evidence, Record<string, string>, 1 | 2 | 3][] = [
    ['nothing: officer only', { inputHashes: {} }, claims, 1],
    ['OCR without face match', { ocr, inputHashes: hashes }, claims, 1],
    ['face match without OCR', { face: face('document-photo'), inputHashes: hashes }, claims, 1],
    ['OCR + face match', { ocr, face: face('document-photo'), inputHashes: hashes }, claims, 2],
    [
      'OCR with a failed check digit + face',
      { ocr: { ...ocr, checkDigitsValid: false }, face: face('document-photo'), inputHashes: hashes },
      claims,
      1,
    ],
    ['OCR + face that does not match', { ocr, face: face('document-photo', false), inputHashes: hashes }, claims, 1],
    [
      'OCR + face, claims differ from the document',
      { ocr, face: face('document-photo'), inputHashes: hashes },
      { ...claims, birthdate: '1974-08-13' },
      1,
    ],
    ['chip + face vs DG2', { chip, face: face('dg2'), inputHashes: hashes }, claims, 3],
    ['chip + face vs the printed photo only', { chip, face: face('document-photo'), inputHashes: hashes }, claims, 1],
    [
      'chip + OCR + face vs the printed photo',
      { chip, ocr, face: face('document-photo'), inputHashes: hashes },
      claims,
      2,
    ],
    [
      'chip whose PA failed + face vs DG2',
      { chip: { ...chip, passiveAuthentication: false }, face: face('dg2'), inputHashes: hashes },
      claims,
      1,
    ],
    [
      'chip + face vs DG2, claims differ from DG1',
      { chip, face: face('dg2'), inputHashes: hashes },
      { ...claims, family_name: 'Meier' },
      1,
    ],
  ];
  for (const [name, evidence, claimSet, level] of table) {
    it(`${name} → level ${level}`, () => {
      assert.equal(levelFromEvidence(evidence, claimSet), level);
    });
  }

  it('claimsMatchEvidence compares names case- and space-insensitively and needs name and birth date', () => {
    const evidence: Evidence = { ocr, inputHashes: hashes };
    assert.equal(claimsMatchEvidence({ ...claims, given_name: ' anna  maria ' }, evidence), true);
    assert.equal(claimsMatchEvidence({ given_name: 'Anna Maria', family_name: 'Mueller' }, evidence), false);
    assert.equal(
      claimsMatchEvidence({ ...claims, constructor: 'x' }, evidence),
      true,
      'claims the document does not read are not compared',
    );
    assert.equal(claimsMatchEvidence(claims, { inputHashes: {} }), false);
  });

  it('holds hashes of the inputs, never the images', () => {
    const evidence: Evidence = { ocr, face: face('document-photo'), inputHashes: hashes };
    assert.match(JSON.stringify(evidence), /"document":"[0-9a-f]{64}"/);
  });
});

describe('intake evidence summary (kept once the certification is decided)', () => {
  const repairs = [
    { field: 'document_number', line: 2, column: 3, from: 'O', to: '0', reason: 'format' as const },
    { field: 'birthdate', line: 2, column: 17, from: 'S', to: '5', reason: 'check-digit' as const },
  ];
  const full: Evidence = {
    ocr: { ...ocr, repairs },
    chip,
    face: face('dg2'),
    inputHashes: { ...hashes, selfie: sha256Hex(new Uint8Array([2])) },
  };

  it('drops the OCR and DG1 fields and the characters of each repair, keeps everything else', () => {
    const summary = evidenceSummary(full);
    assert.deepEqual(summary, {
      ocr: {
        format: 'TD3',
        checkDigitsValid: true,
        repairs: [
          { field: 'document_number', line: 2, column: 3, reason: 'format' },
          { field: 'birthdate', line: 2, column: 17, reason: 'check-digit' },
        ],
        versions,
      },
      chip: {
        passiveAuthentication: true,
        signer: chip.signer,
        hashAlgorithm: 'sha256',
        dataGroups: [1, 2],
        checkedAt: chip.checkedAt,
      },
      face: face('dg2'),
      inputHashes: full.inputHashes,
    });
  });

  it('holds no value read from the document', () => {
    const text = JSON.stringify(evidenceSummary(full));
    // Every value long enough to be recognised (not 'F'): names, dates, numbers, codes.
    for (const value of Object.values(fields).filter((v) => v.length >= 3)) {
      assert.ok(!text.includes(value), `${value} kept in the summary`);
    }
    assert.ok(!text.includes('"from"') && !text.includes('"to"'));
    // Control: the full evidence does hold them.
    assert.ok(JSON.stringify(full).includes(fields.document_number));
  });

  it('leaves the evidence it summarises unchanged', () => {
    const before = JSON.stringify(full);
    evidenceSummary(full);
    assert.equal(JSON.stringify(full), before);
    assert.deepEqual(full.ocr?.fields, fields);
    assert.deepEqual(full.chip?.fields, fields);
  });

  it('adds no part the evidence did not have, and is idempotent', () => {
    assert.deepEqual(evidenceSummary({ inputHashes: {} }), { inputHashes: {} });
    const ocrOnly = evidenceSummary({ ocr, face: face('document-photo'), inputHashes: hashes });
    assert.deepEqual(Object.keys(ocrOnly).sort(), ['face', 'inputHashes', 'ocr']);
    assert.deepEqual(Object.keys(ocrOnly.ocr ?? {}).sort(), ['checkDigitsValid', 'format', 'repairs', 'versions']);
    const chipOnly = evidenceSummary({ chip, inputHashes: hashes });
    assert.deepEqual(Object.keys(chipOnly).sort(), ['chip', 'inputHashes']);
    assert.deepEqual(evidenceSummary(evidenceSummary(full)), evidenceSummary(full));
  });

  it('supports no level above 1 on its own (the fields to compare are gone)', () => {
    assert.equal(levelFromEvidence(full, claims), 3, 'control: the full evidence supports level 3');
    assert.equal(levelFromEvidence(evidenceSummary(full), claims), 1);
  });
});
