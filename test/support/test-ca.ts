import { execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Test certificate authorities built at test time with the `openssl` CLI in a temporary directory, shaped like
 * fabric-ca's: P-256 keys, ECDSA-SHA256 signatures, CA certificates with critical basicConstraints/keyUsage,
 * and leaf certificates that can carry fabric-ca's attribute extension (OID 1.2.3.4.5.6.7.8.1, whose value is
 * the raw JSON `{"attrs":{…}}`, exactly as fabric-ca's attrmgr writes it). Nothing is committed; call
 * `dispose()` (e.g. in `after`) to remove the directory.
 */

/** fabric-ca's attribute extension OID. */
export const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';

export interface IssuedCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  readonly certificate: X509Certificate;
  readonly privateKey: KeyObject;
  /** Base64 (not url) DER, as it appears in a JWS `x5c`. */
  readonly derBase64: string;
  /** ES256 with this certificate's key, returning `r || s`. */
  readonly sign: (data: Uint8Array) => Promise<Uint8Array>;
}

export interface IssueOptions {
  readonly commonName: string;
  /** Subject attributes before OU and CN, openssl style; default `/O=<CA name>`. */
  readonly subjectPrefix?: string;
  /** Organisational unit, as fabric-ca sets it from the identity type (`client`, `peer`, `admin`). */
  readonly ou?: string;
  /** fabric-ca attributes, e.g. `{ 'kyc.role': 'bank-verifier' }`; omitted means no attribute extension. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** Validity in days from now; default 30. */
  readonly days?: number;
  /** Raw bytes for the attribute extension, to test malformed values. Wins over `attributes`. */
  readonly rawAttributeExtension?: Buffer;
  /** Extra lines for the openssl extension section, e.g. `keyUsage=critical,keyEncipherment`. */
  readonly extraExtensions?: readonly string[];
}

export interface TestCa extends IssuedCertificate {
  readonly name: string;
  /** Issues a leaf certificate signed by this CA. */
  issue(options: IssueOptions): IssuedCertificate;
  /** Certifies a PKCS#10 request made elsewhere (e.g. for a key inside an HSM): leaf extensions as for `issue`. */
  signCsr(csrPem: string, options?: Pick<IssueOptions, 'days' | 'extraExtensions' | 'attributes'>): string;
  /** Issues an intermediate CA signed by this CA; it shares this CA's directory and disposal. */
  issueIntermediate(name: string): TestCa;
  /** Removes the temporary directory (idempotent). */
  dispose(): void;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

function colonHex(bytes: Buffer): string {
  return (bytes.toString('hex').match(/../g) ?? []).join(':');
}

function newKey(dir: string, file: string): void {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file], dir);
}

function loaded(dir: string, certFile: string, keyFile: string): IssuedCertificate {
  const certPem = readFileSync(join(dir, certFile), 'utf8');
  const keyPem = readFileSync(join(dir, keyFile), 'utf8');
  const certificate = new X509Certificate(certPem);
  const privateKey = createPrivateKey(keyPem);
  return {
    certPem,
    keyPem,
    certificate,
    privateKey,
    derBase64: certificate.raw.toString('base64'),
    sign: (data) => Promise.resolve(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
  };
}

function leafExtensions(options: IssueOptions): string[] {
  const lines = ['basicConstraints=critical,CA:FALSE', 'subjectKeyIdentifier=hash', 'authorityKeyIdentifier=keyid'];
  if (!(options.extraExtensions ?? []).some((line) => line.startsWith('keyUsage'))) {
    lines.push('keyUsage=critical,digitalSignature');
  }
  const raw =
    options.rawAttributeExtension ??
    (options.attributes === undefined ? undefined : Buffer.from(JSON.stringify({ attrs: options.attributes })));
  if (raw !== undefined) {
    lines.push(`${FABRIC_ATTRS_OID}=DER:${colonHex(raw)}`);
  }
  return [...lines, ...(options.extraExtensions ?? [])];
}

const CA_EXTENSIONS = [
  'basicConstraints=critical,CA:TRUE',
  'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  'subjectKeyIdentifier=hash',
];

interface Issuer {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
}

function signWithCa(issuer: Issuer, subject: string, extensions: readonly string[], days: number, base: string): void {
  const { dir } = issuer;
  newKey(dir, `${base}.key`);
  openssl(['req', '-new', '-key', `${base}.key`, '-subj', subject, '-out', `${base}.csr`], dir);
  signCsrFile(issuer, extensions, days, base);
}

/** Signs `<base>.csr` into `<base>.pem` with the issuer's key and the given extensions. */
function signCsrFile(issuer: Issuer, extensions: readonly string[], days: number, base: string): void {
  const { dir } = issuer;
  writeFileSync(join(dir, `${base}.ext`), `[v3]\n${extensions.join('\n')}\n`);
  const serial = `0x${randomBytes(16).toString('hex')}`;
  openssl(
    [
      'x509',
      '-req',
      '-in',
      `${base}.csr`,
      '-CA',
      issuer.certFile,
      '-CAkey',
      issuer.keyFile,
      '-set_serial',
      serial,
      '-days',
      String(days),
      '-sha256',
      '-extfile',
      `${base}.ext`,
      '-extensions',
      'v3',
      '-out',
      `${base}.pem`,
    ],
    dir,
  );
}

let counter = 0;

function makeCa(name: string, subject: string, dir: string, issuer: Issuer | undefined, dispose: () => void): TestCa {
  const base = `ca-${name}-${counter++}`;
  if (issuer === undefined) {
    newKey(dir, `${base}.key`);
    const exts = CA_EXTENSIONS.flatMap((ext) => ['-addext', ext]);
    openssl(
      [
        'req',
        '-x509',
        '-key',
        `${base}.key`,
        '-subj',
        `/O=${name}/CN=ca.${name}`,
        '-days',
        '60',
        '-sha256',
        ...exts,
        '-out',
        `${base}.pem`,
      ],
      dir,
    );
  } else {
    signWithCa(issuer, subject, [...CA_EXTENSIONS, 'authorityKeyIdentifier=keyid'], 45, base);
  }
  const self: Issuer = { dir, certFile: `${base}.pem`, keyFile: `${base}.key` };
  return {
    ...loaded(dir, self.certFile, self.keyFile),
    name,
    issue(options) {
      const leaf = `leaf-${counter++}`;
      const ou = options.ou === undefined ? '' : `/OU=${options.ou}`;
      const subject = `${options.subjectPrefix ?? `/O=${name}`}${ou}/CN=${options.commonName}`;
      signWithCa(self, subject, leafExtensions(options), options.days ?? 30, leaf);
      return loaded(dir, `${leaf}.pem`, `${leaf}.key`);
    },
    signCsr(csrPem, options = {}) {
      const leaf = `csr-${counter++}`;
      writeFileSync(join(dir, `${leaf}.csr`), csrPem);
      signCsrFile(self, leafExtensions({ commonName: '', ...options }), options.days ?? 30, leaf);
      return readFileSync(join(dir, `${leaf}.pem`), 'utf8');
    },
    issueIntermediate(childName) {
      return makeCa(childName, `/O=${childName}/CN=${childName}`, dir, self, dispose);
    },
    dispose,
  };
}

/**
 * Creates a self-signed P-256 test CA (valid 60 days) named `name`, with subject `options.subject` (openssl
 * style) or `/O=<name>/CN=ca.<name>`.
 *
 * @throws Error when the `openssl` CLI is missing or fails.
 */
export function createTestCa(name: string, options: { readonly subject?: string } = {}): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'kyc-test-ca-'));
  const dispose = (): void => {
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    return makeCa(name, options.subject ?? `/O=${name}/CN=ca.${name}`, dir, undefined, dispose);
  } catch (error) {
    dispose();
    throw error;
  }
}
