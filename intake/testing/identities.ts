import { checkDigit } from '../src/mrz/check-digit';

/**
 * Random but realistic identities and their ICAO 9303 MRZ lines, for tests and the benchmark only. Names
 * are drawn from short lists, states are real codes (the `mrz` parser refuses the specimen state UTO).
 */

export interface Identity {
  readonly familyName: string;
  readonly givenNames: string;
  readonly sex: 'M' | 'F';
  /** YYMMDD */
  readonly birth: string;
  readonly expiry: string;
  readonly nationality: string;
  readonly issuer: string;
  readonly documentNumber: string;
  /** TD3 personal number or TD1 optional data, may be empty. */
  readonly optional: string;
}

const FAMILY = [
  'MUELLER',
  'ROSSI',
  'DUBOIS',
  'JANSSEN',
  'NOWAK',
  'GARCIA',
  'OKAFOR',
  'LINDQVIST',
  'PAPADOPOULOS',
  'OBRIEN',
  'SILVA',
  'KOWALCZYK',
  'BERNARD',
  'HOFFMANN',
  'MARTINEZ',
  'NIEMINEN',
  'VAN<DER<BERG',
  'DE<LUCA',
];
const GIVEN = [
  'ANNA',
  'MARIA',
  'JOHANNES',
  'LUCA',
  'CHLOE',
  'PIETER',
  'ZOFIA',
  'IBRAHIM',
  'ELSA',
  'NIKOS',
  'SEAN',
  'JOAO',
  'OLIVIA',
  'BEATRIZ',
  'QUENTIN',
  'YUSUF',
  'GRETA',
  'XAVIER',
];
const STATES = [
  'DEU',
  'FRA',
  'ITA',
  'NLD',
  'POL',
  'ESP',
  'SWE',
  'GRC',
  'IRL',
  'PRT',
  'FIN',
  'BEL',
  'AUT',
  'CHE',
  'GBR',
  'NGA',
];
const ALNUM = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');

/** A small seeded generator (mulberry32), so a failing document can be made again from its seed. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)] as T;
}

function digits(rand: () => number, n: number): string {
  return Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');
}

function yymmdd(rand: () => number, fromYear: number, toYear: number): string {
  const year = fromYear + Math.floor(rand() * (toYear - fromYear + 1));
  const month = 1 + Math.floor(rand() * 12);
  const day = 1 + Math.floor(rand() * 28);
  return `${String(year % 100).padStart(2, '0')}${String(month).padStart(2, '0')}${String(day).padStart(2, '0')}`;
}

export function randomIdentity(seed: number): Identity {
  const rand = random(seed);
  const given = rand() < 0.3 ? `${pick(rand, GIVEN)}<${pick(rand, GIVEN)}` : pick(rand, GIVEN);
  const state = pick(rand, STATES);
  const letters = Array.from({ length: 2 }, () => pick(rand, ALNUM.slice(0, 26))).join('');
  return {
    familyName: pick(rand, FAMILY),
    givenNames: given,
    sex: rand() < 0.5 ? 'M' : 'F',
    birth: yymmdd(rand, 1940, 2007),
    expiry: yymmdd(rand, 2027, 2035),
    nationality: state,
    issuer: state,
    documentNumber:
      rand() < 0.5 ? `${letters}${digits(rand, 7)}` : Array.from({ length: 9 }, () => pick(rand, ALNUM)).join(''),
    optional: rand() < 0.4 ? digits(rand, 8) : '',
  };
}

function field(value: string, length: number): string {
  return value.padEnd(length, '<').slice(0, length);
}

function withCheck(value: string): string {
  return value + checkDigit(value);
}

export function td3Lines(id: Identity): [string, string] {
  const line1 = field(`P<${id.issuer}${id.familyName}<<${id.givenNames}`, 44);
  const personal = field(id.optional, 14);
  const personalCheck = id.optional === '' ? '<' : checkDigit(personal);
  const body = `${withCheck(field(id.documentNumber, 9))}${id.nationality}${withCheck(id.birth)}${id.sex}${withCheck(id.expiry)}${personal}${personalCheck}`;
  const composite = checkDigit(body.slice(0, 10) + body.slice(13, 20) + body.slice(21, 43));
  return [line1, body + composite];
}

export function td1Lines(id: Identity): [string, string, string] {
  const line1 = field(`I<${id.issuer}${withCheck(field(id.documentNumber, 9))}${id.optional}`, 30);
  const line2Body = field(`${withCheck(id.birth)}${id.sex}${withCheck(id.expiry)}${id.nationality}`, 29);
  const composite = checkDigit(
    line1.slice(5, 30) + line2Body.slice(0, 7) + line2Body.slice(8, 15) + line2Body.slice(18, 29),
  );
  const line3 = field(`${id.familyName}<<${id.givenNames}`, 30);
  return [line1, line2Body + composite, line3];
}

/** The claims a correct reading of `id` proposes (dates in the century rules of the reader). */
export function expectedClaims(id: Identity, format: 'TD1' | 'TD3'): Record<string, string> {
  const iso = (d: string, birth: boolean): string =>
    `${birth && Number(d.slice(0, 2)) > 26 ? '19' : '20'}${d.slice(0, 2)}-${d.slice(2, 4)}-${d.slice(4, 6)}`;
  return {
    given_name: id.givenNames.replace(/</g, ' '),
    family_name: id.familyName.replace(/</g, ' '),
    birthdate: iso(id.birth, true),
    sex: id.sex,
    nationality: id.nationality,
    document_number: id.documentNumber,
    document_expiry: iso(id.expiry, false),
    document_type: format === 'TD3' ? 'passport' : 'id_card',
    issuing_state: id.issuer,
  };
}
