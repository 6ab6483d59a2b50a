import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { children, DerError, oidToString, parseDer, parseTime, TAG } from '../../../wallet/src/der';
import { certificateDetails, fabricAttributes, KEY_USAGE, keyUsageAllows } from '../../../wallet/src/certificate';
import { loadTrustFile, trustedCasFor } from '../../../wallet/src';
import { createTestCa, type TestCa } from '../../support/test-ca';
import { isCode, tempDir } from './helpers';

describe('DER reader', () => {
  it('decodes OIDs, including multi-byte arcs', () => {
    assert.equal(oidToString(Buffer.from('2a030405060708 01'.replace(/ /g, ''), 'hex')), '1.2.3.4.5.6.7.8.1');
    assert.equal(oidToString(Buffer.from('2a8648ce3d0201', 'hex')), '1.2.840.10045.2.1');
    assert.equal(oidToString(Buffer.from('551d13', 'hex')), '2.5.29.19');
    assert.throws(() => oidToString(Buffer.from('2a86', 'hex')), DerError);
  });

  it('reads UTCTime (50..99 → 19xx) and GeneralizedTime', () => {
    const utc = (text: string) => parseTime({ tag: TAG.utcTime, value: Buffer.from(text) });
    assert.equal(utc('491231235959Z').toISOString(), '2049-12-31T23:59:59.000Z');
    assert.equal(utc('500101000000Z').toISOString(), '1950-01-01T00:00:00.000Z');
    const general = parseTime({ tag: TAG.generalizedTime, value: Buffer.from('20500101000000Z') });
    assert.equal(general.toISOString(), '2050-01-01T00:00:00.000Z');
    assert.throws(() => utc('4912312359Z'), DerError);
    assert.throws(() => parseTime({ tag: TAG.integer, value: Buffer.from('491231235959Z') }), DerError);
  });

  it('refuses truncated elements, lengths past the parent and trailing bytes', () => {
    assert.throws(() => parseDer(Buffer.from('3005020101', 'hex')), DerError);
    assert.throws(() => parseDer(Buffer.from('30', 'hex')), DerError);
    assert.throws(() => parseDer(Buffer.from('3003020101ff', 'hex')), DerError);
    assert.throws(() => parseDer(Buffer.from('3085ffffffffff', 'hex')), DerError);
    assert.throws(() => children({ tag: TAG.sequence, value: Buffer.from('0205', 'hex') }), DerError);
    assert.deepEqual(children(parseDer(Buffer.from('3006020101020102', 'hex'))).length, 2);
  });
});

describe('certificate details', () => {
  let ca: TestCa;
  before(() => {
    ca = createTestCa('DetailsOrg');
  });
  after(() => {
    ca.dispose();
  });

  it('reads validity, key usage and fabric-ca attributes from a real certificate', () => {
    const leaf = ca.issue({
      commonName: 'u',
      attributes: { 'kyc.role': 'bank-verifier', 'hf.Type': 'client' },
      days: 10,
    });
    const details = certificateDetails(leaf.certificate);
    assert.equal(details.notBefore.getTime(), Date.parse(leaf.certificate.validFrom));
    assert.equal(details.notAfter.getTime(), Date.parse(leaf.certificate.validTo));
    assert.deepEqual(fabricAttributes(details), { 'kyc.role': 'bank-verifier', 'hf.Type': 'client' });
    assert.equal(keyUsageAllows(details, KEY_USAGE.digitalSignature), true);
    assert.equal(keyUsageAllows(details, KEY_USAGE.keyCertSign), false);
    assert.equal(keyUsageAllows(certificateDetails(ca.certificate), KEY_USAGE.keyCertSign), true);
    assert.equal(details.extensions.get('2.5.29.19')?.critical, true);
  });

  it('gives no attributes without the extension and refuses malformed ones', () => {
    assert.deepEqual(fabricAttributes(certificateDetails(ca.issue({ commonName: 'plain' }).certificate)), {});
    for (const raw of ['not json', '{"attrs":7}', '{"attrs":{"a":1}}', 'null']) {
      const odd = ca.issue({ commonName: 'odd', rawAttributeExtension: Buffer.from(raw) });
      assert.throws(() => fabricAttributes(certificateDetails(odd.certificate)), isCode('KYC_INVALID_ARGUMENT'));
    }
  });
});

describe('trust files', () => {
  let ca: TestCa;
  let tmp: ReturnType<typeof tempDir>;
  before(() => {
    ca = createTestCa('TrustOrg');
    tmp = tempDir();
  });
  after(() => {
    ca.dispose();
    tmp.dispose();
  });

  it('loads { mspId: [PEM CA certificates] } and parses the CAs of one organisation', async () => {
    const path = join(tmp.dir, 'trust.json');
    writeFileSync(path, JSON.stringify({ BankMSP: [ca.certPem] }));
    const trusted = await loadTrustFile(path);
    assert.equal(trustedCasFor(trusted, 'BankMSP')[0]?.subject, ca.certificate.subject);
    assert.deepEqual(trustedCasFor(trusted, 'OtherMSP'), []);
    assert.deepEqual(trustedCasFor(trusted, '__proto__'), []);
  });

  it('refuses malformed trust files with KYC_INVALID_ARGUMENT and a missing one with KYC_NOT_FOUND', async () => {
    const path = join(tmp.dir, 'bad.json');
    const leaf = ca.issue({ commonName: 'leaf' });
    for (const content of [
      'nope',
      '[]',
      '{"bad msp":[]}',
      '{"BankMSP":"pem"}',
      `{"BankMSP":[${JSON.stringify(leaf.certPem)}]}`,
      `{"BankMSP":[${JSON.stringify(ca.certPem + ca.certPem)}]}`,
    ]) {
      writeFileSync(path, content);
      await assert.rejects(loadTrustFile(path), isCode('KYC_INVALID_ARGUMENT'), content.slice(0, 40));
    }
    await assert.rejects(loadTrustFile(join(tmp.dir, 'missing.json')), isCode('KYC_NOT_FOUND'));
  });
});
