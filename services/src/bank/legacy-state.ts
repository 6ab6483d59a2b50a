import type { JsonImport } from '../common/json-import';
import { registrationRecord, type Registration } from './registrations';

/** The bank's old `registrations.json`, imported once into the store (common/json-import.ts). */
export function registrationsJson(verifiedRetentionDays: number): JsonImport {
  return {
    file: 'registrations.json',
    records: (document) => {
      const registrations = (document as { registrations?: Record<string, Registration> }).registrations ?? {};
      return {
        registrations: Object.values(registrations).map((r) =>
          registrationRecord(
            // A crash mid-verification left 'verifying': the ledger decides on the next attempt.
            r.status === 'verifying' ? { ...r, status: 'pending' } : r,
            verifiedRetentionDays * 86_400_000,
          ),
        ),
      };
    },
  };
}
