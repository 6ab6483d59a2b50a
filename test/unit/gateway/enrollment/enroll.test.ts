import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHsm, type Hsm, type HsmToken } from '../../../../gateway/src/hsm';
import {
  enrollWithHsm,
  openIdentityStore,
  register,
  registerAndEnroll,
  withHsmRegistrar,
  type HsmRegistrar,
  type IdentityStore,
} from '../../../../gateway/src/enrollment';
import { softHsm } from '../../../support/softhsm';
import { startFabricCa, type RunningCa } from './fabric-ca-server';

const ATTRS_OID_DER = Buffer.from('06082a030405060708' + '01', 'hex');

/**
 * fabric-ca's attribute extension (OID 1.2.3.4.5.6.7.8.1): an OCTET STRING holding raw JSON `{"attrs":{…}}`.
 * Read straight from the certificate's DER so the check does not depend on our own encoder.
 */
function fabricAttributes(certificatePem: string): Record<string, string> | undefined {
  const der = new X509Certificate(certificatePem).raw;
  const at = der.indexOf(ATTRS_OID_DER);
  if (at < 0) {
    return undefined;
  }
  let offset = at + ATTRS_OID_DER.length;
  if (der[offset] === 0x01) {
    offset += 3; // critical BOOLEAN
  }
  assert.equal(der[offset], 0x04, 'extnValue OCTET STRING');
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    length = der.subarray(start, start + bytes).reduce((n, b) => n * 256 + b, 0);
    start += bytes;
  }
  return (JSON.parse(der.subarray(start, start + length).toString('utf8')) as { attrs: Record<string, string> }).attrs;
}

function commonName(certificatePem: string): string | undefined {
  return /CN=([^\n,]+)/.exec(new X509Certificate(certificatePem).subject)?.[1];
}

describe('gateway/enrollment: fabric-ca registration and enrollment with HSM keys', function () {
  this.timeout(60_000);
  const fixture = softHsm();
  let hsm: Hsm;
  let token: HsmToken;
  let ca: RunningCa | undefined;
  let registrar: HsmRegistrar;
  let storeDir: string;
  let store: IdentityStore;
  const warnings: Error[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);

  const endpoint = () => ({ caUrl: ca!.caUrl, caName: ca!.caName, tlsCertPem: ca!.tlsCertPem });
  const keyCount = async () => (await token.listKeys()).length;

  before(async () => {
    const { label, pin } = fixture.token('enrollment');
    hsm = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
    token = await hsm.openToken({ label, pin });
    storeDir = mkdtempSync(join(tmpdir(), 'kyc-identities-'));
    store = openIdentityStore(storeDir);
    ca = await startFabricCa('ca-certifier');
    process.on('warning', onWarning);
  });

  after(async () => {
    process.removeListener('warning', onWarning);
    await ca?.stop();
    await hsm.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it("enrolls the CA's bootstrap admin with a key generated in the HSM, through our CSR", async () => {
    const admin = await enrollWithHsm({
      ...endpoint(),
      mspId: 'CertifierMSP',
      enrollmentId: ca!.bootstrap.id,
      secret: ca!.bootstrap.secret,
      token,
    });
    const certificate = new X509Certificate(admin.certificatePem);
    assert.ok(certificate.publicKey.equals(await token.publicKeyOf(admin.ski)));
    assert.ok(certificate.verify(new X509Certificate(ca!.tlsCertPem).publicKey), 'issued by the CA');
    assert.equal(commonName(admin.certificatePem), 'admin');
    assert.equal((await token.findKey(admin.ski))?.extractable, false);
    registrar = { identity: admin, token };
  });

  it('registers an officer with kyc.role=certifier:ecert as the HSM registrar, and enrolls it', async () => {
    const secret = await register({
      ...endpoint(),
      registrar,
      enrollmentId: 'officer1',
      type: 'client',
      attrs: [{ name: 'kyc.role', value: 'certifier', ecert: true }],
    });
    assert.ok(secret.length > 0);
    const officer = await enrollWithHsm({
      ...endpoint(),
      mspId: 'CertifierMSP',
      enrollmentId: 'officer1',
      secret,
      token,
    });
    assert.ok(new X509Certificate(officer.certificatePem).publicKey.equals(await token.publicKeyOf(officer.ski)));
    assert.equal(commonName(officer.certificatePem), 'officer1');
    assert.equal(fabricAttributes(officer.certificatePem)?.['kyc.role'], 'certifier');
    assert.match(new X509Certificate(officer.certificatePem).subject, /OU=client/);
  });

  it('registers, enrolls and stores in one call: certificate, SKI and token label, never a key', async () => {
    const stored = await registerAndEnroll({
      ...endpoint(),
      registrar,
      token,
      store,
      enrollmentId: 'officer2',
      type: 'client',
      attrs: [{ name: 'kyc.role', value: 'certifier', ecert: true }],
    });
    assert.equal(stored.mspId, 'CertifierMSP');
    assert.equal(stored.tokenLabel, 'enrollment');
    assert.deepEqual(store.get('CertifierMSP', 'officer2'), stored);
    assert.equal(fabricAttributes(stored.certificatePem)?.['kyc.role'], 'certifier');
    const file = readFileSync(join(storeDir, 'CertifierMSP', 'officer2.json'), 'utf8');
    assert.doesNotMatch(file, /PRIVATE KEY|secret/i);
    assert.deepEqual(readdirSync(join(storeDir, 'CertifierMSP')), ['officer2.json']);
    assert.deepEqual(
      store.list().map((identity) => identity.enrollmentId),
      ['officer2'],
    );
  });

  it('refuses an identity the store already holds before contacting the CA or making a key', async () => {
    const before = await keyCount();
    await assert.rejects(
      registerAndEnroll({ ...endpoint(), registrar, token, store, enrollmentId: 'officer2', type: 'client' }),
      { name: 'EnrollmentError', code: 'ENROLLMENT_CONFLICT' },
    );
    assert.equal(await keyCount(), before);
  });

  it('reports what the CA rejects, with its error list, and leaves no key behind', async () => {
    const before = await keyCount();
    await assert.rejects(
      enrollWithHsm({ ...endpoint(), mspId: 'CertifierMSP', enrollmentId: 'officer1', secret: 'wrong', token }),
      (error: { code?: string; caErrors?: readonly { code: number }[] }) => {
        assert.equal(error.code, 'ENROLLMENT_CA_REJECTED');
        assert.ok((error.caErrors?.length ?? 0) > 0);
        return true;
      },
    );
    await assert.rejects(register({ ...endpoint(), registrar, enrollmentId: 'officer1', type: 'client' }), {
      code: 'ENROLLMENT_CA_REJECTED',
    });
    assert.equal(await keyCount(), before);
  });

  it('refuses registration by an identity that is no registrar', async () => {
    const clerk = await registerAndEnroll({ ...endpoint(), registrar, token, enrollmentId: 'clerk1', type: 'client' });
    await assert.rejects(
      register({ ...endpoint(), registrar: { identity: clerk, token }, enrollmentId: 'mallory', type: 'client' }),
      { code: 'ENROLLMENT_CA_REJECTED' },
    );
  });

  it('gives ENROLLMENT_CA_UNREACHABLE for a closed port or an untrusted TLS certificate', async () => {
    const before = await keyCount();
    const closed = { ...endpoint(), caUrl: 'https://127.0.0.1:1' };
    await assert.rejects(register({ ...closed, registrar, enrollmentId: 'x1', type: 'client' }), {
      code: 'ENROLLMENT_CA_UNREACHABLE',
    });
    const untrusted = { ...endpoint(), tlsCertPem: selfSignedPem() };
    await assert.rejects(
      enrollWithHsm({ ...untrusted, mspId: 'CertifierMSP', enrollmentId: 'officer1', secret: 'x', token }),
      { code: 'ENROLLMENT_CA_UNREACHABLE' },
    );
    assert.equal(await keyCount(), before);
  });

  it('rejects malformed requests before sending anything or making a key', async () => {
    const before = await keyCount();
    const cases = [
      register({ ...endpoint(), registrar, enrollmentId: '../escape', type: 'client' }),
      register({ ...endpoint(), registrar, enrollmentId: 'ok', type: 'superuser' as 'client' }),
      register({
        ...endpoint(),
        registrar,
        enrollmentId: 'ok',
        type: 'client',
        attrs: [{ name: 'hf.Revoker', value: 'true' }],
      }),
      register({
        ...endpoint(),
        registrar,
        enrollmentId: 'ok',
        type: 'client',
        attrs: [{ name: 'a', value: 'line\nbreak' }],
      }),
      register({ ...endpoint(), caUrl: 'http://127.0.0.1:7054', registrar, enrollmentId: 'ok', type: 'client' }),
      register({ ...endpoint(), tlsCertPem: 'not a certificate', registrar, enrollmentId: 'ok', type: 'client' }),
      enrollWithHsm({ ...endpoint(), mspId: 'CertifierMSP', enrollmentId: 'ok', secret: '', token }),
    ];
    for (const attempt of cases) {
      await assert.rejects(attempt, { code: 'ENROLLMENT_INVALID_ARGUMENT' });
    }
    assert.equal(await keyCount(), before);
  });

  it('signs the auth token in the HSM: a registrar whose key is missing fails with HSM_KEY_NOT_FOUND', async () => {
    const ghost = { ...registrar.identity, ski: '0'.repeat(64) };
    await assert.rejects(
      register({ ...endpoint(), registrar: { identity: ghost, token }, enrollmentId: 'g1', type: 'client' }),
      {
        code: 'HSM_KEY_NOT_FOUND',
      },
    );
  });

  it('refuses to sign if fabric-ca-client asks for different text on the second pass', async () => {
    let pass = 0;
    await assert.rejects(
      withHsmRegistrar(registrar, (user) => {
        pass += 1;
        const identity = (
          user as unknown as { getSigningIdentity(): { sign(text: string): Buffer } }
        ).getSigningIdentity();
        identity.sign(`text of pass ${pass}`);
        return Promise.resolve('signed');
      }),
      /different text/,
    );
    assert.equal(pass, 2);
  });

  it('leaks no socket listeners over many CA requests (fabric-ca-client on a keep-alive agent would)', async () => {
    for (let i = 0; i < 12; i += 1) {
      await assert.rejects(register({ ...endpoint(), registrar, enrollmentId: 'officer1', type: 'client' }), {
        code: 'ENROLLMENT_CA_REJECTED',
      });
    }
    await new Promise((done) => setImmediate(done));
    assert.deepEqual(
      warnings.filter((warning) => warning.name === 'MaxListenersExceededWarning').map((warning) => warning.message),
      [],
    );
  });

  it("never loads fabric-common's crypto suites (its PKCS#11 suite would initialise the library again)", () => {
    const loaded = Object.keys(require.cache);
    assert.equal(
      loaded.some((path) => path.includes('bccsp_pkcs11')),
      false,
    );
    assert.equal(
      loaded.some((path) => path.includes('CryptoSuite_ECDSA_AES')),
      false,
    );
  });
});

/** Any certificate that did not issue the CA's TLS certificate: a fresh self-signed one. */
function selfSignedPem(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kyc-untrusted-'));
  try {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyPath = join(dir, 'key.pem');
    writeFileSync(keyPath, privateKey.export({ format: 'pem', type: 'pkcs8' }));
    return execFileSync('openssl', ['req', '-x509', '-key', keyPath, '-subj', '/CN=untrusted', '-days', '1'], {
      encoding: 'utf8',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
