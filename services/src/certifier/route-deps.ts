import type { TokenDirectory } from '../http/auth';
import type { ServiceMetrics } from '../http/metrics';
import type { KycLedger } from '../../../gateway/src/ledger/kyc-ledger';
import type { OfficerEnrollment } from '../common/officer-routes';
import type { CertificationService } from './certifications';
import type { EvidenceService } from './evidence';

/** What the certifier service's routes need (services/src/certifier/main.ts builds it). */
export interface CertifierRouteDeps {
  readonly certifications: CertificationService;
  /** Evidence (document photo, selfie, chip files) for pending certifications. */
  readonly evidence: EvidenceService;
  readonly directory: TokenDirectory;
  readonly officers: OfficerEnrollment;
  /** A ledger client for reads and revocations, signing as the named officer. */
  readonly ledgerFor: (officer: string) => KycLedger;
  readonly metrics: ServiceMetrics;
  readonly rateLimitPerMinute: number;
}
