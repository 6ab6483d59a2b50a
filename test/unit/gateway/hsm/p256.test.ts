import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  HsmError,
  isSki,
  hsmErrorToKycError,
  publicKeyFromPoint,
  ski,
  skiOfCertificate,
  uncompressedPoint,
} from '../../../../gateway/src/hsm';
import { pointFromEcPointAttribute } from '../../../../gateway/src/hsm/p256';

describe('gateway/hsm/p256', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kyc-p256-'));
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('computes the SKI as SHA-256 of the uncompressed point, as openssl sees the key', () => {
    const keyPath = join(dir, 'key.pem');
    const certPath = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-subj',
        '/CN=ski-test',
        '-days',
        '1',
      ],
      { stdio: 'ignore' },
    );
    // The last 65 bytes of a P-256 SubjectPublicKeyInfo are the uncompressed point.
    const spki = execFileSync('openssl', ['pkey', '-in', keyPath, '-pubout', '-outform', 'DER']);
    const expected = createHash('sha256').update(spki.subarray(-65)).digest('hex');
    const certificatePem = readFileSync(certPath, 'utf8');
    assert.equal(skiOfCertificate(certificatePem), expected);
    assert.equal(ski(createPublicKey(readFileSync(keyPath))), expected);
    assert.equal(isSki(expected), true);
  });

  it('round-trips points and rejects what is not a P-256 point', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const point = uncompressedPoint(publicKey);
    assert.equal(point.length, 65);
    assert.ok(publicKeyFromPoint(point).equals(publicKey));
    const offCurve = Buffer.from(point);
    offCurve[64] = (offCurve[64] ?? 0) ^ 1;
    assert.throws(() => publicKeyFromPoint(offCurve), { code: 'HSM_INVALID_ARGUMENT' });
    assert.throws(() => publicKeyFromPoint(point.subarray(1)), { code: 'HSM_INVALID_ARGUMENT' });
    assert.throws(() => uncompressedPoint(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey), {
      code: 'HSM_INVALID_ARGUMENT',
    });
  });

  it('reads CKA_EC_POINT both DER-wrapped and bare', () => {
    const point = uncompressedPoint(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
    assert.deepEqual(pointFromEcPointAttribute(Buffer.concat([Buffer.from([0x04, 0x41]), point])), point);
    assert.deepEqual(pointFromEcPointAttribute(point), point);
    assert.throws(() => pointFromEcPointAttribute(Buffer.alloc(10)), { code: 'HSM_OPERATION_FAILED' });
  });

  it('rejects text that is not a certificate, and SKIs in other forms', () => {
    assert.throws(() => skiOfCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), {
      code: 'HSM_INVALID_ARGUMENT',
    });
    assert.equal(isSki('A'.repeat(64)), false);
    assert.equal(isSki('a'.repeat(63)), false);
    assert.equal(isSki(42), false);
  });

  it('maps HSM errors to KYC codes without their details', () => {
    const busy = hsmErrorToKycError(new HsmError('HSM_BUSY', 'no free session', { tokenLabel: 'bank-clients' }));
    assert.equal(busy.code, 'KYC_UNAVAILABLE');
    assert.equal(busy.message.includes('bank-clients'), false);
    assert.ok(busy.cause instanceof HsmError);
    assert.equal(hsmErrorToKycError(new HsmError('HSM_KEY_NOT_FOUND', 'x')).code, 'KYC_INTERNAL');
    assert.equal(hsmErrorToKycError(new HsmError('HSM_INVALID_ARGUMENT', 'x')).code, 'KYC_INVALID_ARGUMENT');
    const login = new HsmError('HSM_LOGIN_FAILED', 'login failed', { returnValue: 'CKR_PIN_INCORRECT' });
    assert.equal(login.message, 'HSM_LOGIN_FAILED: login failed (CKR_PIN_INCORRECT)');
    assert.equal(hsmErrorToKycError(login).code, 'KYC_UNAVAILABLE');
  });
});
