import { createHash } from 'node:crypto';
import type { PassiveAuthResult } from './chip/passive-auth';
import type { FaceMatch, FaceModelVersions } from './face/matcher';
import type { Liveness } from './face/liveness';
import { KycError, type AssuranceLevel } from '../../protocol/src';
import { type MrzClaims, type ParsedMrz, parseMrz } from './mrz/claims';
import { layoutFor } from './mrz/layout';
import type { Repair } from './mrz/repair';
import type { OcrVersions } from './mrz/reader';

/**
 * What the intake engine saw, kept with a certification for the officer and the audit: results, scores,
 * model versions and SHA-256 hashes of the inputs, never the images. The OCR and DG1 fields are personal
 * data and are protected like the claims themselves.
 */
export interface Evidence {
  readonly ocr?: {
    readonly format: 'TD1' | 'TD3';
    /** The fields read; dropped from the summary kept after the decision. */
    readonly fields?: MrzClaims;
    readonly checkDigitsValid: boolean;
    /** Every repair; the summary keeps where, not the characters. */
    readonly repairs: readonly (Omit<Repair, 'from' | 'to'> & Partial<Pick<Repair, 'from' | 'to'>>)[];
    readonly versions: OcrVersions;
  };
  readonly chip?: {
    readonly passiveAuthentication: boolean;
    readonly signer: PassiveAuthResult['signer'];
    readonly hashAlgorithm: string;
    readonly dataGroups: readonly number[];
    /** DG1's fields; dropped from the summary kept after the decision. */
    readonly fields?: MrzClaims;
    readonly checkedAt: string;
  };
  readonly face?: {
    /** Which portrait the selfie was compared with. */
    readonly against: 'document-photo' | 'dg2';
    readonly distance: number;
    readonly threshold: number;
    readonly match: boolean;
    readonly versions: FaceModelVersions;
    /** Passive anti-spoofing and liveness scores of the selfie: an opinion for the officer, never a level. */
    readonly liveness?: Liveness;
  };
  /** SHA-256 (hex) of every input by role: `document`, `selfie`, `sod`, `dg1`, `dg2`. */
  readonly inputHashes: Readonly<Record<string, string>>;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function faceEvidence(
  against: 'document-photo' | 'dg2',
  match: FaceMatch,
  versions: FaceModelVersions,
  liveness?: Liveness,
): NonNullable<Evidence['face']> {
  return {
    against,
    distance: match.distance,
    threshold: match.threshold,
    match: match.match,
    versions,
    ...(liveness === undefined ? {} : { liveness }),
  };
}

export function ocrEvidence(reading: ParsedMrz, versions: OcrVersions): NonNullable<Evidence['ocr']> {
  return {
    format: reading.format,
    fields: reading.claims,
    checkDigitsValid: reading.checkDigitsValid,
    repairs: reading.repairs,
    versions,
  };
}

/**
 * The chip part of the evidence from a passed passive authentication: DG1's MRZ is parsed (its check digits
 * must hold too) into the fields compared with the claims.
 *
 * @throws KycError KYC_MISMATCH when DG1's MRZ does not parse.
 */
export function chipEvidence(result: PassiveAuthResult, now: Date = new Date()): NonNullable<Evidence['chip']> {
  const layout = layoutFor(result.dg1Lines.length);
  if (layout === undefined) {
    throw new KycError('KYC_MISMATCH', 'DG1 holds neither a TD1 nor a TD3 MRZ');
  }
  return {
    passiveAuthentication: result.valid,
    signer: result.signer,
    hashAlgorithm: result.hashAlgorithm,
    dataGroups: result.dataGroups,
    fields: parseMrz(result.dg1Lines, layout, now).claims,
    checkedAt: result.checkedAt,
  };
}

/**
 * What stays of the evidence once the certification is decided (docs/intake.md §5): results, scores,
 * thresholds, model versions, the signer and the input hashes; no field read from the document, and of each
 * repair only where it was made.
 */
export function evidenceSummary(evidence: Evidence): Evidence {
  const { ocr, chip, face, inputHashes } = evidence;
  const withoutFields = <T extends { fields?: MrzClaims }>(part: T): Omit<T, 'fields'> =>
    Object.fromEntries(Object.entries(part).filter(([name]) => name !== 'fields')) as Omit<T, 'fields'>;
  return {
    ...(ocr === undefined
      ? {}
      : {
          ocr: {
            ...withoutFields(ocr),
            repairs: ocr.repairs.map(({ field, line, column, reason }) => ({ field, line, column, reason })),
          },
        }),
    ...(chip === undefined ? {} : { chip: withoutFields(chip) }),
    ...(face === undefined ? {} : { face }),
    inputHashes,
  };
}

/** Fields whose values must agree between the chip (or the OCR) and the claims certified. */
const COMPARED: readonly (keyof MrzClaims)[] = [
  'given_name',
  'family_name',
  'birthdate',
  'sex',
  'nationality',
  'document_number',
  'document_expiry',
];

/**
 * True when every claim present in `claims` that the evidence also read has the same value (names compared
 * case-insensitively, spaces collapsed), and the claims hold at least the name and birth date: an officer
 * may certify fewer claims than were read, never different ones.
 */
export function claimsMatchEvidence(claims: Readonly<Record<string, string>>, evidence: Evidence): boolean {
  const read = evidence.chip?.fields ?? evidence.ocr?.fields;
  if (read === undefined) {
    return false;
  }
  const norm = (v: string): string => v.normalize('NFC').trim().replace(/\s+/g, ' ').toUpperCase();
  const required = ['given_name', 'family_name', 'birthdate'];
  if (!required.every((name) => Object.hasOwn(claims, name))) {
    return false;
  }
  return COMPARED.every((name) => {
    const value = Object.hasOwn(claims, name) ? claims[name] : undefined;
    return value === undefined || norm(value) === norm(read[name]);
  });
}

function level3(evidence: Evidence, claims: Readonly<Record<string, string>>): boolean {
  const { chip, face } = evidence;
  return (
    chip?.passiveAuthentication === true &&
    face?.against === 'dg2' &&
    face.match &&
    claimsMatchEvidence(claims, { ...evidence, ocr: undefined })
  );
}

function level2(evidence: Evidence, claims: Readonly<Record<string, string>>): boolean {
  const { ocr, face } = evidence;
  return (
    ocr?.checkDigitsValid === true &&
    face?.match === true &&
    claimsMatchEvidence(claims, { ...evidence, chip: undefined })
  );
}

/**
 * The assurance level the evidence supports for these claims (pure):
 * 3 = chip passive authentication AND a face match against DG2 AND DG1 equal to the claims;
 * 2 = document OCR with every check digit valid AND a face match AND the OCR equal to the claims;
 * 1 = otherwise: the officer's own check only.
 */
export function levelFromEvidence(evidence: Evidence, claims: Readonly<Record<string, string>>): AssuranceLevel {
  if (level3(evidence, claims)) {
    return 3;
  }
  return level2(evidence, claims) ? 2 : 1;
}
