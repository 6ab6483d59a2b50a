import type { JsonImport } from '../common/json-import';
import { certificationRecord, type Certification } from './certifications';

/** The certifier's old `certifications.json`, imported once into the store (common/json-import.ts). */
interface OldCertifierState {
  readonly nonces?: Record<string, { readonly expiresAt: number; readonly client?: string }>;
  readonly certifications?: Record<string, Certification>;
  readonly collections?: Record<string, number>;
}

export function certificationsJson(disclosureRetentionSeconds: number): JsonImport {
  return {
    file: 'certifications.json',
    records: (document) => {
      const state = document as OldCertifierState;
      const now = Date.now();
      return {
        nonces: [
          ...Object.entries(state.nonces ?? {})
            .filter(([, n]) => n.expiresAt > now)
            .map(([id, n]) => ({ id, status: 'issued', expiresAt: n.expiresAt, data: {} })),
          ...Object.entries(state.collections ?? {})
            .filter(([, exp]) => exp > now)
            .map(([id, exp]) => ({ id: `c:${id}`, status: 'collected', expiresAt: exp, data: {} })),
        ],
        certifications: Object.values(state.certifications ?? {}).map((c) =>
          certificationRecord(c, disclosureRetentionSeconds * 1000),
        ),
      };
    },
  };
}
