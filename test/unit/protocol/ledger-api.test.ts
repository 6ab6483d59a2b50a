import assert from 'node:assert/strict';
import { KYC_TRANSACTIONS, KYC_TRANSACTION_NAMES, encodeArguments } from '../../../protocol/src';
import type { Commitment, PresentationTransient } from '../../../protocol/src';

const decode = (bytes: Uint8Array | undefined): unknown => JSON.parse(new TextDecoder().decode(bytes));

describe('protocol/ledger-api: the table of the kyc transactions', () => {
  it('lists each transaction once, with a kind, an endorsement and named parameters', () => {
    assert.deepEqual([...KYC_TRANSACTION_NAMES].sort(), Object.keys(KYC_TRANSACTIONS).sort());
    for (const name of KYC_TRANSACTION_NAMES) {
      const spec = KYC_TRANSACTIONS[name];
      assert.ok(['submit', 'evaluate'].includes(spec.kind), name);
      assert.ok(['policy', 'own-org'].includes(spec.endorsement), name);
      const names = spec.params.map((p) => p.name);
      assert.equal(new Set(names).size, names.length, `${name} repeats a parameter`);
    }
  });

  it('encodes text as is, numbers in decimal and JSON as JSON text, in order', () => {
    const commitment: Commitment = {
      schema: 'kyc.person.v1',
      level: 2,
      digests: ['a'.repeat(43)],
      validFrom: '2026-01-01T00:00:00.000Z',
      validUntil: '2027-01-01T00:00:00.000Z',
    };
    const certify = encodeArguments('Certify', ['did:key:zDnX', 'a.b.c', commitment]);
    assert.deepEqual(certify.arguments, ['did:key:zDnX', 'a.b.c', JSON.stringify(commitment)]);
    assert.deepEqual(certify.transientData, {});
    const isVerified = encodeArguments('IsVerified', ['did:key:zDnX', 3, ['CertifierMSP', 'Certifier2MSP']]);
    assert.deepEqual(isVerified.arguments, ['did:key:zDnX', '3', '["CertifierMSP","Certifier2MSP"]']);
  });

  it('puts transient parameters in the transient map, never in the arguments', () => {
    const presentation = { personId: 'did:key:zDnX', consent: 'secret-consent' } as unknown as PresentationTransient;
    const encoded = encodeArguments('VerifyPresentation', ['registration-1', presentation]);
    assert.deepEqual(encoded.arguments, ['registration-1']);
    assert.deepEqual(Object.keys(encoded.transientData), ['presentation']);
    assert.deepEqual(decode(encoded.transientData.presentation), presentation);
    assert.ok(!encoded.arguments.join('').includes('secret-consent'));
  });
});
