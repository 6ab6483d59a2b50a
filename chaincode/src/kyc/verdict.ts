import type { AssuranceLevel } from '../../../protocol/src';
import type { Attestation } from './record';

/**
 * The rules that decide whether an attestation counts, shared by IsVerified and VerifyPresentation. Pure
 * functions of the records and the transaction time, so every peer decides alike.
 */

/** Why no attestation qualified, from the earliest check that failed to the latest. */
export const NOT_VERIFIED_REASONS = [
  'no-attestation',
  'untrusted-certifier',
  'certifier-suspended',
  'level-too-low',
  'revoked',
  'not-yet-valid',
  'expired',
] as const;

export type NotVerifiedReason = (typeof NOT_VERIFIED_REASONS)[number];

/** What the caller requires of an attestation. */
export interface Requirement {
  readonly trustedCertifiers: ReadonlySet<string>;
  /**
   * Of the certifiers the records name, those the consortium lists now as active certifier members: a
   * suspended or removed certifier's records stop counting.
   */
  readonly activeCertifiers: ReadonlySet<string>;
  readonly minLevel: AssuranceLevel;
  /** Transaction time, milliseconds since the epoch. */
  readonly nowMillis: number;
}

/** How far a record got through the checks: a higher stage failed later, so it is the closer miss. */
const STAGE: Readonly<Record<Exclude<NotVerifiedReason, 'no-attestation'>, number>> = {
  'untrusted-certifier': 1,
  'certifier-suspended': 2,
  'level-too-low': 3,
  revoked: 4,
  'not-yet-valid': 5,
  expired: 5,
};

/**
 * The first requirement `record` fails, or `undefined` when it qualifies: trusted certifier, still an active
 * certifier of the consortium, level at least the minimum, active, and `validFrom <= now < validUntil`.
 */
export function failedRequirement(
  record: Attestation,
  requirement: Requirement,
): Exclude<NotVerifiedReason, 'no-attestation'> | undefined {
  if (!requirement.trustedCertifiers.has(record.certifier)) {
    return 'untrusted-certifier';
  }
  if (!requirement.activeCertifiers.has(record.certifier)) {
    return 'certifier-suspended';
  }
  if (record.level < requirement.minLevel) {
    return 'level-too-low';
  }
  if (record.status !== 'active') {
    return 'revoked';
  }
  if (requirement.nowMillis < Date.parse(record.validFrom)) {
    return 'not-yet-valid';
  }
  return requirement.nowMillis < Date.parse(record.validUntil) ? undefined : 'expired';
}

/** Orders qualifying records: higher level first, then later validUntil; ties keep key order (stable sort). */
function preference(a: Attestation, b: Attestation): number {
  return b.level - a.level || Date.parse(b.validUntil) - Date.parse(a.validUntil);
}

export type Choice =
  | { readonly verified: true; readonly record: Attestation }
  | { readonly verified: false; readonly reason: NotVerifiedReason };

/**
 * Picks the attestation that verifies the person, deterministically; when none qualifies, reports the
 * reason of the closest miss (the record that passed the most checks, the first in key order on a tie).
 *
 * @param records the person's attestations in key order.
 */
export function chooseAttestation(records: readonly Attestation[], requirement: Requirement): Choice {
  const failures = records.map((record) => failedRequirement(record, requirement));
  const qualifying = records.filter((_record, index) => failures[index] === undefined);
  const best = qualifying.sort(preference)[0];
  if (best !== undefined) {
    return { verified: true, record: best };
  }
  let reason: NotVerifiedReason = 'no-attestation';
  for (const failed of failures) {
    if (failed !== undefined && (reason === 'no-attestation' || STAGE[failed] > STAGE[reason])) {
      reason = failed;
    }
  }
  return { verified: false, reason };
}
