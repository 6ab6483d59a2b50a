import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HsmToken } from '../../../../gateway/src/hsm';
import { createCsrPem } from '../../../../gateway/src/enrollment';

/**
 * A throwaway PKI for Fabric tests, made with openssl at test time: a P-256 CA, certificates for HSM keys
 * (through our CSR, signed in the token) and a TLS server certificate for 127.0.0.1.
 */
export interface TestPki {
  readonly dir: string;
  readonly caCertPem: string;
  /** Generates a signing key in `token` and has the CA certify it with CN = `commonName`. */
  certifyHsmKey(token: HsmToken, commonName: string): Promise<{ ski: string; certificatePem: string }>;
  /** A certificate for a key made by openssl (not in any token). */
  certifySoftwareKey(commonName: string): string;
  /** A TLS server certificate and key for 127.0.0.1 / localhost. */
  serverCertificate(): { certPem: string; keyPem: string };
  dispose(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'kyc-pki-'));
  openssl(
    dir,
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-subj',
    '/CN=test-ca',
    '-days',
    '1',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,digitalSignature',
  );
  let serial = 1;
  const sign = (csrFile: string, outFile: string, extensions?: string): string => {
    const args = ['x509', '-req', '-in', csrFile, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial++)];
    if (extensions !== undefined) {
      writeFileSync(join(dir, 'ext.cnf'), extensions);
      args.push('-extfile', 'ext.cnf');
    }
    openssl(dir, ...args, '-days', '1', '-out', outFile);
    return readFileSync(join(dir, outFile), 'utf8');
  };
  return {
    dir,
    caCertPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    async certifyHsmKey(token, commonName) {
      const { ski, publicKey } = await token.generateKeyPair({ usage: 'sign', label: commonName });
      writeFileSync(join(dir, `${ski}.csr`), await createCsrPem({ commonName, publicKey, sign: token.es256(ski) }));
      return { ski, certificatePem: sign(`${ski}.csr`, `${ski}.pem`) };
    },
    certifySoftwareKey(commonName) {
      openssl(
        dir,
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'software.key',
        '-out',
        'software.csr',
        '-subj',
        `/CN=${commonName}`,
      );
      return sign('software.csr', 'software.pem');
    },
    serverCertificate() {
      openssl(
        dir,
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'server.key',
        '-out',
        'server.csr',
        '-subj',
        '/CN=peer0.test',
      );
      const certPem = sign('server.csr', 'server.pem', 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      return { certPem, keyPem: readFileSync(join(dir, 'server.key'), 'utf8') };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
