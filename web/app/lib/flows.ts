import { CompactEncrypt, importJWK } from 'jose';
import { KycError } from '../../../protocol/src/errors';
import { encodeB64u, utf8 } from './b64';
import {
  EVIDENCE_CONTENT_TYPE,
  EVIDENCE_ROLES,
  PRESENTATION_CONTENT_TYPE,
  type EvidenceRole,
} from '../../../protocol/src/formats';
import {
  claimsHash,
  disclosuresHash,
  nowSeconds,
  parseDisclosure,
  randomB64u,
  sha256B64u,
  signJws,
  TYP,
  type Claims,
  type WebKey,
} from './proto';
import type { RegistrationPayload } from './registration';

/**
 * The wallet's signed messages (docs/protocol.md §4 and §7) on a WebCrypto key that never leaves the browser:
 * certification request, collection request, the check of an approval, and the encrypted presentation.
 */

export interface PersonKey {
  readonly did: string;
  /** ECDSA P-256 private key, non-extractable. */
  readonly privateKey: WebKey;
}

export interface Credential {
  readonly personId: string;
  readonly certifier: string;
  readonly kind: string;
  readonly level: number;
  readonly version: number;
  readonly validUntil: string;
  readonly disclosures: readonly string[];
}

export async function certificationRequest(
  key: PersonKey,
  certifier: string,
  nonce: string,
  kind: string,
  claims: Claims,
): Promise<{ request: string; claimsSalt: string; claimsHash: string }> {
  const claimsSalt = randomB64u();
  const hash = await claimsHash(claims, claimsSalt);
  const iat = nowSeconds();
  const payload = { sub: key.did, aud: certifier, nonce, iat, exp: iat + 7 * 24 * 3600, kind, claims_hash: hash };
  return {
    request: await signJws({ typ: TYP.certificationRequest }, payload, key.privateKey),
    claimsSalt,
    claimsHash: hash,
  };
}

export async function collectionRequest(key: PersonKey, certifier: string, certificationId: string): Promise<string> {
  const iat = nowSeconds();
  const payload = {
    sub: key.did,
    aud: certifier,
    certification_id: certificationId,
    iat,
    exp: iat + 120,
    jti: randomB64u(),
  };
  return signJws({ typ: TYP.collectionRequest }, payload, key.privateKey);
}

export interface Approval {
  readonly status: string;
  readonly disclosures?: readonly string[];
  readonly record?: { certifier: string; kind: string; version: number; level: number; validUntil: string };
}

/**
 * The credential in an approval, checked as wallet/src credentialFromApproval does: the disclosures open to
 * exactly the claims the person signed (their salted hash), for the certifier and kind asked.
 *
 * @throws KycError KYC_MISMATCH when the certifier changed, dropped or added a claim.
 */
export async function credentialFromApproval(
  pending: { personId: string; certifier: string; kind: string; claimsHash: string; claimsSalt: string },
  answer: Approval,
): Promise<Credential> {
  const { disclosures, record } = answer;
  if (answer.status !== 'approved' || disclosures === undefined || record === undefined) {
    throw new KycError('KYC_INVALID_ARGUMENT', `the certification is ${answer.status}`);
  }
  const claims = new Map<string, string>();
  for (const d of disclosures.map(parseDisclosure)) {
    if (claims.has(d.name)) throw new KycError('KYC_MISMATCH', `claim ${d.name} certified twice`);
    claims.set(d.name, d.value);
  }
  const same = (await claimsHash(Object.fromEntries(claims), pending.claimsSalt)) === pending.claimsHash;
  if (!same || record.certifier !== pending.certifier || record.kind !== pending.kind) {
    throw new KycError('KYC_MISMATCH', 'the certified claims are not the ones you submitted');
  }
  const { certifier, kind, level, version, validUntil } = record;
  return { personId: pending.personId, certifier, kind, level, version, validUntil, disclosures: [...disclosures] };
}

/** Claim name → value of a credential. */
export function credentialClaims(credential: Credential): Map<string, { value: string; disclosure: string }> {
  return new Map(credential.disclosures.map((d) => parseDisclosure(d)).map((d) => [d.name, d] as const));
}

/**
 * The presentation for a verified registration: only the chosen claims (each one the bank asked for), a
 * consent binding them to this bank, registration and nonce, encrypted to the bank's key (ECDH-ES, A256GCM).
 *
 * @throws KycError KYC_INVALID_ARGUMENT for an empty or unrequested choice, KYC_UNTRUSTED for a level below
 *   the bank's minimum, KYC_EXPIRED for an expired credential.
 */
export async function buildPresentation(
  key: PersonKey,
  registration: RegistrationPayload,
  credential: Credential,
  chosen: readonly string[],
): Promise<string> {
  if (chosen.length === 0 || !chosen.every((c) => registration.claims.includes(c))) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'choose at least one of the claims the bank asks for');
  }
  if (credential.level < registration.min_level) {
    throw new KycError('KYC_UNTRUSTED', `the bank needs level ${registration.min_level}; yours is ${credential.level}`);
  }
  if (Date.parse(credential.validUntil) <= Date.now()) throw new KycError('KYC_EXPIRED', 'your credential has expired');
  const held = credentialClaims(credential);
  const disclosures = chosen.map((name) => held.get(name)?.disclosure ?? '');
  if (disclosures.includes('')) throw new KycError('KYC_NOT_FOUND', 'your credential lacks a chosen claim');
  const iat = nowSeconds();
  const consent = await signJws(
    { typ: TYP.consent },
    {
      sub: key.did,
      aud: registration.iss,
      registration_id: registration.registration_id,
      nonce: registration.nonce,
      iat,
      exp: iat + 300,
      certifier: credential.certifier,
      kind: credential.kind,
      disclosures_hash: await disclosuresHash(disclosures),
    },
    key.privateKey,
  );
  const plaintext = { personId: key.did, certifier: credential.certifier, kind: credential.kind, disclosures, consent };
  return encryptToOrganisation(
    plaintext,
    registration.enc_jwk,
    PRESENTATION_CONTENT_TYPE,
    registration.registration_id,
  );
}

/** A compact JWE to an organisation's P-256 key (ECDH-ES, A256GCM), as wallet/src/jwe.ts makes it. */
async function encryptToOrganisation(
  plaintext: object,
  key: RegistrationPayload['enc_jwk'],
  cty: string,
  kid: string,
): Promise<string> {
  return new CompactEncrypt(utf8(JSON.stringify(plaintext)))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', cty, kid })
    .encrypt(await importJWK({ ...key }, 'ECDH-ES'));
}

/** Files of an evidence submission by role (docs/intake.md): read in memory, never stored by the wallet. */
export type EvidenceFiles = Partial<Record<EvidenceRole, Uint8Array<ArrayBuffer>>>;

/**
 * The evidence JWE for pending certification `certificationId` (docs/protocol.md §4.4): the files and an
 * evidence request signed by the person's key naming each file by its SHA-256, encrypted to the certifier's
 * key (ECDH-ES, A256GCM), as protocol/src/evidence-request.ts builds it.
 */
export async function buildEvidence(
  key: PersonKey,
  certifier: string,
  encryptionJwk: RegistrationPayload['enc_jwk'],
  certificationId: string,
  files: EvidenceFiles,
): Promise<string> {
  const inputs: Partial<Record<EvidenceRole, string>> = {};
  const encoded: Partial<Record<EvidenceRole, string>> = {};
  for (const role of EVIDENCE_ROLES) {
    const bytes = files[role];
    if (bytes === undefined) continue;
    inputs[role] = await sha256B64u(bytes);
    encoded[role] = encodeB64u(bytes);
  }
  const iat = nowSeconds();
  const request = await signJws(
    { typ: TYP.evidenceRequest },
    { sub: key.did, aud: certifier, certification_id: certificationId, iat, exp: iat + 300, jti: randomB64u(), inputs },
    key.privateKey,
  );
  return encryptToOrganisation({ request, files: encoded }, encryptionJwk, EVIDENCE_CONTENT_TYPE, certificationId);
}
