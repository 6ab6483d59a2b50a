import { certifierConfig } from '../config';
import type { KycLedger } from '../../../gateway/src/ledger/kyc-ledger';
import { officerEnrollment } from '../common/officer-enrollment';
import { runMain, serve } from '../common/serve';
import { CertificationService } from './certifications';
import { loadOrCreateEncryptionKey } from '../common/encryption-key';
import { decryptEvidence } from '../../../protocol/src/jose';
import { EvidenceThread } from './evidence-thread';
import { EvidenceService } from './evidence';
import { certificationsJson } from './legacy-state';
import { certifierRoutes } from './routes';
import { certifierWithConsole } from '../web/service-plugins';
import { ROLES } from '../../../protocol/src';

/** The certifier service process: `node dist/services/src/certifier/main.js` (see docs/services.md). */
runMain(async () => {
  const config = certifierConfig();
  await serve({
    name: 'certifier',
    title: 'KYC certifier service',
    description:
      'Certification bodies: people submit claims with a request signed by their key; officers approve; salted digests go to the ledger, disclosures go back to the person.',
    config,
    imports: [certificationsJson(config.limits.disclosureRetentionSeconds)],
    routes: async ({ runtime, store, officers, metrics, schedule }) => {
      const ledgerFor = (officer: string): KycLedger => runtime.ledgerFor(officer);
      const certifications = new CertificationService({
        mspId: config.mspId,
        store,
        validityDays: config.validityDays,
        decoyDigests: config.decoyDigests,
        nonceTtlSeconds: config.nonceTtlSeconds,
        limits: config.limits,
        ledgerFor,
      });
      schedule('certifications', () => certifications.sweep());
      const key = await loadOrCreateEncryptionKey(runtime.token, config.dataDir, 'certifier-evidence-encryption');
      const checks = new EvidenceThread({ cscaDir: config.cscaDir, maxQueued: config.maxQueuedEvidence });
      const evidence = new EvidenceService({
        certifications,
        encryptionJwk: key.jwk,
        decrypt: (jwe, id) => decryptEvidence(jwe, { expectedKid: id, deriveSharedSecret: key.deriveSharedSecret }),
        check: (files, claims) => checks.check(files, claims),
        close: () => checks.close(),
      });
      // The console, sessions and web security (services/src/web, docs/web.md) around the certifier's routes.
      return certifierWithConsole(officers, (directory) =>
        certifierRoutes({
          certifications,
          evidence,
          directory,
          officers: officerEnrollment(officers, runtime, ROLES.certifier),
          ledgerFor,
          metrics,
          rateLimitPerMinute: config.rateLimitPerMinute,
        }),
      );
    },
  });
});
