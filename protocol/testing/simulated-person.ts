import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import {
  TYP,
  claimsHash,
  createDisclosure,
  didKeyFromPublicKey,
  disclosuresHash,
  signJws,
  type Claims,
  type Es256Signer,
} from '../src';

/**
 * A person simulated in software, for tests and benchmarks (never for production: the key is a plain
 * KeyObject): a P-256 key, certification requests, commitments with their disclosures, and consents, all
 * signed and salted exactly as the wallet and the certifier make them.
 */

export interface TestPerson {
  readonly id: string;
  readonly privateKey: KeyObject;
  readonly sign: Es256Signer;
}

/** Who signs requests and consents: a person's id and ES256 signer (a TestPerson, or a wallet's PersonKey). */
export interface Signer {
  readonly id: string;
  readonly sign: Es256Signer;
}

export function newPerson(): TestPerson {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    id: didKeyFromPublicKey(publicKey),
    privateKey,
    sign: (data) => Promise.resolve(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
  };
}

export const salt = (): string => randomBytes(16).toString('base64url');
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A person's certification request JWS to `aud`, over the claims hashed with `claimsSalt`. */
export function certificationRequest(
  person: Signer,
  fields: {
    readonly aud: string;
    readonly claims: Claims;
    readonly claimsSalt: string;
    readonly nonce?: string;
    readonly kind?: string;
    readonly iat?: number;
    readonly exp?: number;
  },
): Promise<string> {
  const iat = fields.iat ?? nowSeconds();
  return signJws(
    { typ: TYP.certificationRequest },
    {
      sub: person.id,
      aud: fields.aud,
      nonce: fields.nonce ?? salt(),
      iat,
      exp: fields.exp ?? iat + 600,
      kind: fields.kind ?? 'identity',
      claims_hash: claimsHash(fields.claims, fields.claimsSalt),
    },
    person.sign,
  );
}

/** A commitment (as the Certify argument) over fresh disclosures of `claims`, and those disclosures. */
export function commitmentFor(
  claims: Claims,
  options: { readonly level?: number; readonly validFrom?: Date; readonly validUntil?: Date } = {},
): { commitment: string; disclosures: Record<string, string> } {
  const made = Object.entries(claims).map(([name, value]) => createDisclosure(salt(), name, value));
  const validFrom = options.validFrom ?? new Date(nowSeconds() * 1000);
  const validUntil = options.validUntil ?? new Date(validFrom.getTime() + 365 * 86_400_000);
  return {
    commitment: JSON.stringify({
      schema: 'kyc.person.v1',
      level: options.level ?? 2,
      digests: made.map((d) => d.digest).sort(),
      validFrom: validFrom.toISOString(),
      validUntil: validUntil.toISOString(),
    }),
    disclosures: Object.fromEntries(made.map((d) => [d.name, d.disclosure])),
  };
}

/** The person's consent to present `disclosures` (in this order) for one registration of one bank. */
export function consentFor(
  person: Signer,
  fields: {
    readonly aud: string;
    readonly registrationId: string;
    readonly nonce: string;
    readonly disclosures: readonly string[];
    readonly certifier?: string;
    readonly kind?: string;
  },
): Promise<string> {
  const iat = nowSeconds();
  return signJws(
    { typ: TYP.consent },
    {
      sub: person.id,
      aud: fields.aud,
      registration_id: fields.registrationId,
      nonce: fields.nonce,
      iat,
      exp: iat + 300,
      certifier: fields.certifier ?? 'CertifierMSP',
      kind: fields.kind ?? 'identity',
      disclosures_hash: disclosuresHash(fields.disclosures),
    },
    person.sign,
  );
}

/** Claim values no other test or run uses, so finding them anywhere means this run leaked them. */
export function uniqueClaims(): Claims {
  const tag = randomBytes(6).toString('hex');
  return {
    given_name: `Adaq${tag}`,
    family_name: `Lovelacez${tag}`,
    birthdate: '1815-12-10',
    nationality: `GBx${tag}`,
  };
}
