import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHsm, type Hsm, type HsmToken } from '../../../../gateway/src/hsm';
import { createCsrDer, createCsrPem } from '../../../../gateway/src/enrollment';
import { objectIdentifier, setOf } from '../../../../gateway/src/enrollment/der';
import { softHsm } from '../../../support/softhsm';

/** Runs `openssl req` on a CSR; returns stdout and stderr together. */
function opensslReq(dir: string, pem: string, ...args: string[]): string {
  const path = join(dir, 'request.csr');
  writeFileSync(path, pem);
  return execFileSync('openssl', ['req', '-in', path, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `openssl req -verify` exits 0 either way (OpenSSL 3.0): read its verdict. */
function opensslVerifies(dir: string, pem: string): boolean {
  const path = join(dir, 'check.csr');
  writeFileSync(path, pem);
  const result = spawnSync('openssl', ['req', '-verify', '-noout', '-in', path], { encoding: 'utf8' });
  const verdict = `${result.stdout}${result.stderr}`;
  assert.match(verdict, /self-signature verify (OK|failure)/);
  return /self-signature verify OK/.test(verdict);
}

describe('gateway/enrollment/csr: PKCS#10 requests signed in the HSM', () => {
  const fixture = softHsm();
  let hsm: Hsm;
  let token: HsmToken;
  let dir: string;

  before(async () => {
    const { label, pin } = fixture.token('enrollment');
    hsm = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
    token = await hsm.openToken({ label, pin });
    dir = mkdtempSync(join(tmpdir(), 'kyc-csr-'));
  });

  after(async () => {
    await hsm.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies with openssl req -verify and carries the subject and the HSM key', async () => {
    const { ski, publicKey } = await token.generateKeyPair({ usage: 'sign' });
    const pem = await createCsrPem({ commonName: 'officer7', publicKey, sign: token.es256(ski) });
    assert.match(pem, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
    assert.equal(opensslVerifies(dir, pem), true);
    const subject = opensslReq(dir, pem, '-noout', '-subject', '-nameopt', 'RFC2253');
    assert.equal(subject.trim(), 'subject=CN=officer7');
    const requestKey = createPublicKey(opensslReq(dir, pem, '-noout', '-pubkey'));
    assert.ok(requestKey.equals(publicKey));
    const text = opensslReq(dir, pem, '-noout', '-text');
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /ASN1 OID: prime256v1/);
  });

  it('encodes UTF-8 and 64-character names, and openssl agrees', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const softwareSigner = (data: Uint8Array): Promise<Uint8Array> =>
      Promise.resolve(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
    for (const commonName of ['zoë@bank.example', 'x'.repeat(64), 'a']) {
      const pem = await createCsrPem({ commonName, publicKey, sign: softwareSigner });
      assert.equal(opensslVerifies(dir, pem), true, commonName);
      const subject = opensslReq(dir, pem, '-noout', '-subject', '-nameopt', 'RFC2253,-esc_msb,utf8');
      assert.equal(subject.trim(), `subject=CN=${commonName}`);
    }
  });

  it('fails verification when the signature is not by the request key', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { ski } = await token.generateKeyPair({ usage: 'sign' });
    const pem = await createCsrPem({ commonName: 'mismatch', publicKey, sign: token.es256(ski) });
    assert.equal(opensslVerifies(dir, pem), false);
  });

  it('rejects an empty or over-long common name and a non-P-256 key before signing', async () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    let signed = 0;
    const counting = (): Promise<Uint8Array> => {
      signed += 1;
      return Promise.resolve(new Uint8Array(64));
    };
    await assert.rejects(createCsrDer({ commonName: '', publicKey, sign: counting }), {
      code: 'ENROLLMENT_INVALID_ARGUMENT',
    });
    await assert.rejects(createCsrDer({ commonName: 'x'.repeat(65), publicKey, sign: counting }), {
      code: 'ENROLLMENT_INVALID_ARGUMENT',
    });
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey;
    await assert.rejects(createCsrDer({ commonName: 'x', publicKey: p384, sign: counting }), {
      code: 'HSM_INVALID_ARGUMENT',
    });
    assert.equal(signed, 0);
  });

  it('writes DER the way X.690 says: OIDs with multi-byte arcs, SET OF sorted', () => {
    assert.equal(objectIdentifier('1.2.840.10045.4.3.2').toString('hex'), '06082a8648ce3d040302');
    assert.equal(objectIdentifier('2.5.4.3').toString('hex'), '0603550403');
    assert.equal(
      setOf(Buffer.from('0201ff', 'hex'), Buffer.from('020101', 'hex')).toString('hex'),
      '3106020101' + '0201ff',
    );
  });
});
