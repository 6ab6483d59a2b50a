import type { HsmToken } from '../../../../gateway/src/hsm';
import { createCsrPem } from '../../../../gateway/src/enrollment';
import { createTestCa } from '../../../support/test-ca';

/**
 * A throwaway PKI for Fabric tests on the shared test CA (test/support/test-ca.ts): certificates for HSM keys
 * (through our CSR, signed in the token), for software keys, and a TLS server certificate for 127.0.0.1.
 */
export interface TestPki {
  readonly caCertPem: string;
  /** Generates a signing key in `token` and has the CA certify it with CN = `commonName`. */
  certifyHsmKey(token: HsmToken, commonName: string): Promise<{ ski: string; certificatePem: string }>;
  /** A certificate for a key made by openssl (not in any token). */
  certifySoftwareKey(commonName: string): string;
  /** A TLS server certificate and key for 127.0.0.1 / localhost. */
  serverCertificate(): { certPem: string; keyPem: string };
  dispose(): void;
}

export function createTestPki(): TestPki {
  const ca = createTestCa('test');
  return {
    caCertPem: ca.certPem,
    async certifyHsmKey(token, commonName) {
      const { ski, publicKey } = await token.generateKeyPair({ usage: 'sign', label: commonName });
      return { ski, certificatePem: ca.signCsr(await createCsrPem({ commonName, publicKey, sign: token.es256(ski) })) };
    },
    certifySoftwareKey: (commonName) => ca.issue({ commonName }).certPem,
    serverCertificate() {
      const server = ca.issue({
        commonName: 'peer0.test',
        extraExtensions: ['subjectAltName=IP:127.0.0.1,DNS:localhost', 'extendedKeyUsage=serverAuth'],
      });
      return { certPem: server.certPem, keyPem: server.keyPem };
    },
    dispose: () => {
      ca.dispose();
    },
  };
}
