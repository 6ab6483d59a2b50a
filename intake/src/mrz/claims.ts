import { parse } from 'mrz';
import { KycError } from '../../../protocol/src';
import { type FormatLayout, type MrzFormat, read } from './layout';
import { type Repair, repairMrz } from './repair';

/** Claims proposed from an MRZ, named by the protocol's claim-name rule. */
export interface MrzClaims {
  readonly given_name: string;
  readonly family_name: string;
  /** ISO 8601 date, YYYY-MM-DD. */
  readonly birthdate: string;
  /** `M`, `F` or `X` (unspecified). */
  readonly sex: string;
  /** ICAO 9303 three-letter code. */
  readonly nationality: string;
  readonly document_number: string;
  readonly document_expiry: string;
  /** `passport` (TD3) or `id_card` (TD1). */
  readonly document_type: string;
  readonly issuing_state: string;
}

export interface ParsedMrz {
  readonly format: MrzFormat;
  readonly lines: readonly string[];
  readonly claims: MrzClaims;
  /** Every check digit held after the repairs listed. */
  readonly checkDigitsValid: true;
  readonly repairs: readonly Repair[];
}

const SEX: Readonly<Record<string, string>> = { male: 'M', female: 'F', nonspecified: 'X' };

/**
 * YYMMDD to YYYY-MM-DD. The MRZ drops the century: a birth date is in the past (a year after `now`'s means
 * the 1900s), an expiry always in the 2000s.
 */
export function isoDate(yymmdd: string, kind: 'birth' | 'expiry', now: Date): string {
  const yy = Number(yymmdd.slice(0, 2));
  const current = now.getUTCFullYear() % 100;
  const century = kind === 'birth' && yy > current ? 1900 : 2000;
  const iso = `${century + yy}-${yymmdd.slice(2, 4)}-${yymmdd.slice(4, 6)}`;
  const date = new Date(`${iso}T00:00:00Z`);
  if (Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso) {
    throw new KycError('KYC_MISMATCH', `the MRZ ${kind} date is not a calendar date`);
  }
  return iso;
}

/**
 * Names and optional data are left-aligned and padded with `<`: text after three fillers is a misread filler.
 * It matters because `<` (0), `A` (10), `K` (20) and `U` (30) weigh the same modulo 10: no check digit sees
 * a filler read as K.
 */
function assertPadding(lines: readonly string[], layout: FormatLayout): void {
  for (const at of layout.padded) {
    if (read(lines, at).replace(/<+$/, '').includes('<<<')) {
      throw new KycError('KYC_MISMATCH', 'the MRZ has characters after the padding of a field');
    }
  }
}

function text(value: string | null | undefined, what: string): string {
  if (value === null || value === undefined || value === '') {
    throw new KycError('KYC_MISMATCH', `the MRZ has no ${what}`);
  }
  return value;
}

/**
 * Repairs (see {@link repairMrz}), parses with the `mrz` package (which verifies every check digit again and
 * knows the state codes) and proposes claims.
 *
 * @throws KycError KYC_MISMATCH when a check digit fails beyond repair or a field is invalid.
 */
export function parseMrz(lines: readonly string[], layout: FormatLayout, now: Date = new Date()): ParsedMrz {
  const repaired = repairMrz(lines, layout);
  assertPadding(repaired.lines, layout);
  const result = parse([...repaired.lines]);
  const invalid = result.details.filter((detail) => !detail.valid).map((detail) => detail.field);
  if (result.format !== layout.format || !result.valid) {
    throw new KycError('KYC_MISMATCH', `the MRZ does not parse as ${layout.format}: invalid ${invalid.join(', ')}`);
  }
  const f = result.fields;
  const claims: MrzClaims = {
    given_name: text(f.firstName, 'given name'),
    family_name: text(f.lastName, 'family name'),
    birthdate: isoDate(text(f.birthDate, 'birth date'), 'birth', now),
    sex: SEX[text(f.sex, 'sex')] ?? 'X',
    nationality: text(f.nationality, 'nationality'),
    document_number: text(f.documentNumber, 'document number'),
    document_expiry: isoDate(text(f.expirationDate, 'expiry date'), 'expiry', now),
    document_type: layout.format === 'TD3' ? 'passport' : 'id_card',
    issuing_state: text(f.issuingState, 'issuing state'),
  };
  return { format: layout.format, lines: repaired.lines, claims, checkDigitsValid: true, repairs: repaired.repairs };
}
