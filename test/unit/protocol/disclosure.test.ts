import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  assertValidClaims,
  claimsHash,
  createDisclosure,
  disclosuresHash,
  KycError,
  parseCodedMessage,
  parseDisclosure,
} from '../../../protocol/src';

const salt = () => randomBytes(16).toString('base64url');
const isInvalid = (e: unknown) => e instanceof KycError && e.code === 'KYC_INVALID_ARGUMENT';

describe('salted disclosures', () => {
  it('builds base64url(JSON [salt, name, value]) and digests it with SHA-256, as RFC 9901 does', () => {
    // RFC 9901 §5.1 example: the disclosure of family_name "Möbius".
    const disclosure = 'WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0';
    const parsed = parseDisclosure(disclosure);
    assert.equal(parsed.name, 'family_name');
    assert.equal(parsed.value, 'Möbius');
    assert.equal(parsed.digest, 'X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0');
  });

  it('round-trips every valid claim and normalises values to NFC', () => {
    const d = createDisclosure(salt(), 'given_name', 'Zoe\u0308'); // e + combining diaeresis
    assert.equal(d.value, 'Zoë');
    const parsed = parseDisclosure(d.disclosure);
    assert.deepEqual(parsed, d);
    assert.equal(d.digest, createHash('sha256').update(d.disclosure).digest('base64url'));
  });

  it('makes different disclosures for the same claim with different salts', () => {
    const a = createDisclosure(salt(), 'birthdate', '1990-01-01');
    const b = createDisclosure(salt(), 'birthdate', '1990-01-01');
    assert.notEqual(a.digest, b.digest);
  });

  it('rejects anything that is not a well-formed disclosure with KYC_INVALID_ARGUMENT', () => {
    const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const bad = [
      '',
      'not base64!',
      encode(['short', 'name', 'v']),
      encode([salt(), 'Bad Name', 'v']),
      encode([salt(), 'name', '']),
      encode([salt(), 'name', 42]),
      encode([salt(), 'name']),
      encode({ salt: salt(), name: 'n', value: 'v' }),
      'A'.repeat(5000),
    ];
    for (const value of bad) {
      assert.throws(() => parseDisclosure(value), isInvalid);
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          parseDisclosure(s);
        } catch (e) {
          assert.ok(isInvalid(e));
        }
      }),
    );
  });

  it('hashes the presented disclosures in order', () => {
    const a = createDisclosure(salt(), 'a', '1').disclosure;
    const b = createDisclosure(salt(), 'b', '2').disclosure;
    assert.notEqual(disclosuresHash([a, b]), disclosuresHash([b, a]));
    assert.equal(disclosuresHash([a, b]), createHash('sha256').update(`${a}~${b}`).digest('base64url'));
  });
});

describe('claims', () => {
  it('hashes claims with a secret salt, independently of key order', () => {
    const s = salt();
    assert.equal(claimsHash({ a: '1', b: '2' }, s), claimsHash({ b: '2', a: '1' }, s));
    assert.notEqual(claimsHash({ a: '1', b: '2' }, s), claimsHash({ a: '1', b: '3' }, s));
    assert.notEqual(claimsHash({ a: '1' }, s), claimsHash({ a: '1' }, salt()), 'unlinkable without the salt');
    assert.throws(() => claimsHash({ a: '1' }, 'short'), isInvalid);
  });

  it('accepts valid claims and refuses bad names, values, counts and non-NFC text', () => {
    assertValidClaims({ given_name: 'Ada', family_name: 'Lovelace' });
    for (const bad of [
      null,
      [],
      {},
      { 'Given Name': 'x' },
      { given_name: '' },
      { given_name: 7 },
      { given_name: 'x'.repeat(1025) },
      { given_name: 'Zoe\u0308' },
      Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`c${i}`, 'v'])),
    ]) {
      assert.throws(() => {
        assertValidClaims(bad);
      }, isInvalid);
    }
  });
});

describe('coded messages', () => {
  it('parses the code out of a message, also when Fabric wrapped it', () => {
    assert.deepEqual(parseCodedMessage('KYC_NOT_FOUND: no record'), { code: 'KYC_NOT_FOUND', detail: 'no record' });
    assert.deepEqual(parseCodedMessage('chaincode response 500, KYC_CONFLICT: used'), {
      code: 'KYC_CONFLICT',
      detail: 'used',
    });
    assert.equal(parseCodedMessage('KYC_MADE_UP: x'), undefined);
    assert.equal(parseCodedMessage('plain failure'), undefined);
  });

  it('puts the code first in KycError messages', () => {
    const e = new KycError('KYC_FORBIDDEN', 'not a certifier');
    assert.equal(e.message, 'KYC_FORBIDDEN: not a certifier');
    assert.equal(e.code, 'KYC_FORBIDDEN');
  });
});
