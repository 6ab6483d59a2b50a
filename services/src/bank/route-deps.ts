import type { TokenDirectory } from '../http/auth';
import type { ServiceMetrics } from '../http/metrics';
import type { KycLedger } from '../../../gateway/src/ledger/kyc-ledger';
import type { OfficerEnrollment } from '../common/officer-routes';
import type { RegistrationLimits } from './registration-limits';
import type { RegistrationService } from './registrations';

/** What the bank service's routes need (services/src/bank/main.ts builds it). */
export interface BankRouteDeps {
  readonly registrations: RegistrationService;
  /** Caps on open registrations (in all, per officer). */
  readonly limits: RegistrationLimits;
  readonly directory: TokenDirectory;
  readonly officers: OfficerEnrollment;
  readonly ledgerFor: (officer: string) => KycLedger;
  readonly renderQrCode: (text: string) => Promise<{ png: Buffer; svg: string }>;
  readonly metrics: ServiceMetrics;
  readonly rateLimitPerMinute: number;
}
