import { createTestCa, type TestCa } from '../../support/test-ca';

/**
 * Throwaway enrollment certificates shaped like fabric-ca's (OU = the identity type, `client` unless told,
 * e.g. `admin` for an organisation admin; the attribute extension when `attributes` is given), so tests can run fabric-shim's real ClientIdentity. One test CA per process, made
 * with openssl at test time and removed when the process exits.
 */
let ca: TestCa | undefined;

export function issueCertificate(
  commonName: string,
  attributes?: Readonly<Record<string, string>>,
  ou: 'client' | 'admin' | 'peer' = 'client',
): string {
  if (ca === undefined) {
    const created = createTestCa('Test');
    process.once('exit', () => {
      created.dispose();
    });
    ca = created;
  }
  return ca.issue({ commonName, ou, ...(attributes === undefined ? {} : { attributes }) }).certPem;
}
