import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { TYP, createDisclosure, didKeyFromPublicKey, disclosuresHash, signJws } from '../../../protocol/src';
import type { Claims, ParsedDisclosure, PresentationTransient } from '../../../protocol/src';

/**
 * The person's side of the protocol for the chaincode tests: real P-256 keys, real ES256 JWS and real salted
 * disclosures, generated at test time.
 */

export interface Person {
  readonly did: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** A fresh person with a P-256 key pair. */
export function newPerson(): Person {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { did: didKeyFromPublicKey(publicKey), privateKey, publicKey };
}

function signer(privateKey: KeyObject) {
  return (data: Uint8Array) => Promise.resolve(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
}

/** A base64url nonce / registration id of 22 characters (128 bits). */
export function nonce(): string {
  return randomBytes(16).toString('base64url');
}

/** NumericDate seconds of an epoch-ms time. */
export function seconds(millis: number): number {
  return Math.floor(millis / 1000);
}

/** Fields of a certification request; anything may be overridden to build bad ones. */
export interface RequestOptions {
  readonly aud: string;
  readonly kind: string;
  /** Issue time, epoch ms. */
  readonly at: number;
  readonly lifetimeSeconds?: number;
  readonly payload?: Readonly<Record<string, unknown>>;
  /** Who signs; defaults to the person. */
  readonly signedBy?: Person;
}

/** A certification request JWS signed by the person (or `signedBy`). */
export function certificationRequest(person: Person, options: RequestOptions): Promise<string> {
  const iat = seconds(options.at);
  const payload = {
    sub: person.did,
    aud: options.aud,
    nonce: nonce(),
    iat,
    exp: iat + (options.lifetimeSeconds ?? 600),
    kind: options.kind,
    claims_hash: randomBytes(32).toString('base64url'),
    ...options.payload,
  };
  return signJws({ typ: TYP.certificationRequest }, payload, signer((options.signedBy ?? person).privateKey));
}

export const SAMPLE_CLAIMS: Claims = {
  given_name: 'Ada',
  family_name: 'Lovelace',
  birthdate: '1815-12-10',
  nationality: 'GB',
};

/**
 * Claims whose values are long and random, so a test can search written bytes for them without false hits
 * (a two-letter value such as 'GB' turns up in base64 text by chance).
 */
export function distinctiveClaims(): Claims {
  const tag = (): string => `v-${randomBytes(12).toString('hex')}`;
  return { given_name: tag(), family_name: tag(), birthdate: tag(), nationality: tag() };
}

/** Salted disclosures of `claims`, one per claim, with fresh 128-bit salts. */
export function discloseClaims(claims: Claims = SAMPLE_CLAIMS): ParsedDisclosure[] {
  return Object.entries(claims).map(([name, value]) => createDisclosure(nonce(), name, value));
}

/** A random digest that opens nothing (a decoy). */
export function decoyDigest(): string {
  return randomBytes(32).toString('base64url');
}

/** Fields of a commitment argument. */
export interface CommitmentOptions {
  readonly digests: readonly string[];
  readonly level?: number;
  readonly schema?: string;
  readonly validFrom: string;
  readonly validUntil: string;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** The JSON text of a commitment argument. */
export function commitment(options: CommitmentOptions): string {
  return JSON.stringify({
    schema: options.schema ?? 'kyc.person.v1',
    level: options.level ?? 2,
    digests: options.digests,
    validFrom: options.validFrom,
    validUntil: options.validUntil,
    ...options.extra,
  });
}

/** Fields of a consent; anything may be overridden to build bad ones. */
export interface ConsentOptions {
  readonly bank: string;
  readonly registrationId: string;
  readonly nonce: string;
  readonly certifier: string;
  readonly kind: string;
  readonly disclosures: readonly string[];
  /** Issue time, epoch ms. */
  readonly at: number;
  readonly lifetimeSeconds?: number;
  readonly payload?: Readonly<Record<string, unknown>>;
  readonly signedBy?: Person;
}

/** A consent JWS signed by the person (or `signedBy`). */
export function consent(person: Person, options: ConsentOptions): Promise<string> {
  const iat = seconds(options.at);
  const payload = {
    sub: person.did,
    aud: options.bank,
    registration_id: options.registrationId,
    nonce: options.nonce,
    iat,
    exp: iat + (options.lifetimeSeconds ?? 300),
    certifier: options.certifier,
    kind: options.kind,
    disclosures_hash: disclosuresHash(options.disclosures),
    ...options.payload,
  };
  return signJws({ typ: TYP.consent }, payload, signer((options.signedBy ?? person).privateKey));
}

/** The fields of a transient `presentation`. */
export type Presentation = PresentationTransient;
