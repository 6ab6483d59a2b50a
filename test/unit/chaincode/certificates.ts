import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The extension OID fabric-ca uses for ecert attributes; its value is raw JSON `{ "attrs": { … } }`. */
const FABRIC_ATTRIBUTES_OID = '1.2.3.4.5.6.7.8.1';

/**
 * Issues a throwaway self-signed P-256 certificate shaped like a fabric-ca enrollment certificate (with the
 * attribute extension when `attributes` is given), so tests can run fabric-shim's real ClientIdentity. Made
 * with the openssl CLI at test time; the key never leaves the temporary directory, which is removed.
 *
 * @throws Error when openssl fails.
 */
export function issueCertificate(commonName: string, attributes?: Readonly<Record<string, string>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kyc-cert-'));
  try {
    const extension =
      attributes === undefined
        ? []
        : [
            '-addext',
            `${FABRIC_ATTRIBUTES_OID}=DER:${Buffer.from(JSON.stringify({ attrs: attributes })).toString('hex')}`,
          ];
    const result = spawnSync(
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
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        '1',
        '-subj',
        `/O=Test/OU=client/CN=${commonName}`,
        ...extension,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    if (result.status !== 0) {
      throw new Error(`openssl failed: ${result.stderr}`);
    }
    return readFileSync(join(dir, 'cert.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
