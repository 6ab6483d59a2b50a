import { bankConfig } from '../config';
import { decryptPresentation, signRegistration } from '../../../protocol/src/jose';
import { renderQrCode } from './qr-code';
import type { KycLedger } from '../../../gateway/src/ledger/kyc-ledger';
import { officerEnrollment } from '../common/officer-enrollment';
import { runMain, serve } from '../common/serve';
import { loadOrCreateEncryptionKey } from '../common/encryption-key';
import { derivedFile } from '../common/json-import';
import { registrationsJson } from './legacy-state';
import { RegistrationLimits } from './registration-limits';
import { RegistrationService } from './registrations';
import { bankRoutes } from './routes';
import { bankWithDesk } from '../web/service-plugins';
import { ROLES } from '../../../protocol/src';

/** The bank service process: `node dist/services/src/bank/main.js` (see docs/services.md). */
runMain(async () => {
  const config = bankConfig();
  await serve({
    name: 'bank',
    title: 'KYC bank service',
    description:
      'Banks and other services: officers open registrations shown as signed QR codes; wallets post encrypted presentations; the ledger confirms them once.',
    config,
    // open-registrations.json is derived state now: the store counts pending registrations.
    imports: [registrationsJson(config.verifiedRetentionDays), derivedFile('open-registrations.json')],
    routes: async ({ runtime, store, officers, metrics, schedule }) => {
      const key = await loadOrCreateEncryptionKey(runtime.token, config.dataDir, 'bank-presentation-encryption');
      const ledgerFor = (officer: string): KycLedger => runtime.ledgerFor(officer);
      // The desk, sessions, short QR, live status and the signed callback (services/src/web, docs/web.md).
      const web = bankWithDesk(officers, config.dataDir, (directory) =>
        bankRoutes({
          registrations,
          limits,
          directory,
          officers: officerEnrollment(officers, runtime, ROLES.bankVerifier),
          ledgerFor,
          renderQrCode,
          metrics,
          rateLimitPerMinute: config.rateLimitPerMinute,
        }),
      );
      const registrations = new RegistrationService({
        mspId: config.mspId,
        store,
        publicUrl: config.publicUrl,
        trustedCertifiers: config.trustedCertifiers,
        minLevel: config.minLevel,
        ttlSeconds: config.registrationTtlSeconds,
        verifiedRetentionDays: config.verifiedRetentionDays,
        verifyingTimeoutSeconds: config.verifyingTimeoutSeconds,
        onVerified: web.onVerified,
        ledgerFor,
        crypto: {
          signerFor: (officer) => runtime.signerFor(officer),
          encryptionJwk: key.jwk,
          signRegistration: (payload, signer) => signRegistration(payload, signer),
          decryptPresentation: (jwe, kid) =>
            decryptPresentation(jwe, { expectedKid: kid, deriveSharedSecret: key.deriveSharedSecret }),
        },
      });
      const limits = new RegistrationLimits({
        store,
        maxOpen: config.maxOpenRegistrations,
        maxOpenPerOfficer: config.maxOpenRegistrationsPerOfficer,
        sweep: () => registrations.sweep(),
      });
      schedule('registrations', () => registrations.sweep());
      return web.plugin(registrations, config.publicUrl, config.rateLimitPerMinute);
    },
  });
});
