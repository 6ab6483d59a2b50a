import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { didKeyFromPublicKey, KycError } from '../../../protocol/src';
import { parsePresentation } from '../../../protocol/src';

const DID = didKeyFromPublicKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);

describe('parsePresentation', () => {
  const valid = {
    personId: DID,
    certifier: 'CertifierMSP',
    kind: 'identity',
    disclosures: ['WyJh', 'WyJi'],
    consent: 'a.b.c',
  };

  it('accepts the five fields', () => {
    assert.deepEqual(parsePresentation(valid), valid);
  });

  it('refuses extra, missing and malformed fields', () => {
    const bad = [
      { ...valid, extra: 1 },
      { ...valid, personId: 'did:key:z6Mk' },
      { ...valid, certifier: 'no spaces allowed' },
      { ...valid, kind: 'Identity' },
      { ...valid, disclosures: [] },
      { ...valid, disclosures: ['a', 'a'] },
      { ...valid, disclosures: [1] },
      { ...valid, disclosures: Array.from({ length: 33 }, (_, i) => `d${i}`) },
      { ...valid, consent: '' },
      { personId: DID },
    ];
    for (const value of bad) {
      assert.throws(
        () => parsePresentation(value),
        (e: unknown) => e instanceof KycError && e.code === 'KYC_INVALID_ARGUMENT',
      );
    }
  });
});
