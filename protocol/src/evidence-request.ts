import { randomBytes } from 'node:crypto';
import { publicKeyFromDidKey } from './did-key';
import { KycError } from './errors';
import { decodeBase64UrlStrict, sha256Base64Url } from './base64url';
import { decodeJws, signJws, verifyJws, type Es256Signer } from './jws';
import {
  CERTIFICATION_ID,
  EVIDENCE_ROLES,
  MAX_EVIDENCE_BYTES,
  MAX_COLLECTION_REQUEST_LIFETIME_SECONDS,
  MSP_ID,
  TYP,
  assertFresh,
  parseEvidenceRequestPayload,
  type EvidenceRequestPayload,
  type EvidenceRole,
} from './messages';

/**
 * The evidence request (docs/protocol.md §4.4): inside the JWE that carries a person's document photo,
 * selfie and chip files to the certifier, the person signs with the key the certification is for which
 * files they send (by SHA-256), so only they can attach evidence to their certification. One definition for
 * the wallet and the certifier.
 */

export type EvidenceFiles = Readonly<Partial<Record<EvidenceRole, Uint8Array>>>;

/** The digest that binds a file to an evidence request: SHA-256, base64url. */
export const evidenceDigest: (bytes: Uint8Array) => string = sha256Base64Url;

export interface EvidenceRequestOptions {
  readonly personId: string;
  readonly sign: Es256Signer;
  readonly certifier: string;
  readonly certificationId: string;
  readonly files: EvidenceFiles;
  readonly now?: Date;
}

/** Lifetime of an evidence request: long enough to upload photos over a slow phone link. */
const LIFETIME_SECONDS = 300;

/**
 * Builds a compact JWS, `typ` kyc-evidence-request+jwt, signed by the person's key.
 *
 * @throws KycError KYC_INVALID_ARGUMENT for a malformed certifier or id, or an incomplete set of files.
 */
export async function createEvidenceRequest(options: Readonly<EvidenceRequestOptions>): Promise<string> {
  if (!MSP_ID.test(options.certifier) || !CERTIFICATION_ID.test(options.certificationId)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'evidence request: malformed certifier or certification id');
  }
  const iat = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const inputs = Object.fromEntries(
    EVIDENCE_ROLES.flatMap((role) => {
      const bytes = options.files[role];
      return bytes === undefined ? [] : [[role, evidenceDigest(bytes)]];
    }),
  );
  const payload = {
    sub: options.personId,
    aud: options.certifier,
    certification_id: options.certificationId,
    iat,
    exp: iat + LIFETIME_SECONDS,
    jti: randomBytes(16).toString('base64url'),
    inputs,
  };
  parseEvidenceRequestPayload({ ...payload });
  return signJws({ typ: TYP.evidenceRequest }, payload, options.sign);
}

export interface VerifiedEvidenceRequest {
  readonly payload: EvidenceRequestPayload;
  /** The JWS id: what the certifier remembers to accept the request once. */
  readonly id: string;
}

/**
 * Verifies an evidence request and that `files` are exactly the files it names, byte for byte. The caller
 * then checks that the certification is the `sub`'s and that the request was not used before.
 *
 * @throws KycError KYC_INVALID_ARGUMENT (malformed), KYC_BAD_SIGNATURE (not signed by `sub`), KYC_MISMATCH
 *   (another certifier, or files other than those signed), KYC_EXPIRED.
 */
export function verifyEvidenceRequest(
  token: unknown,
  files: EvidenceFiles,
  expected: { readonly audience: string; readonly now: Date },
): VerifiedEvidenceRequest {
  const unverified = parseEvidenceRequestPayload(decodeJws(token, TYP.evidenceRequest).payload);
  const jws = verifyJws(token, TYP.evidenceRequest, publicKeyFromDidKey(unverified.sub));
  const payload = parseEvidenceRequestPayload(jws.payload);
  if (payload.aud !== expected.audience) {
    throw new KycError('KYC_MISMATCH', 'the evidence request is addressed to another certifier');
  }
  assertFresh(
    payload.iat,
    payload.exp,
    Math.floor(expected.now.getTime() / 1000),
    'evidence request',
    MAX_COLLECTION_REQUEST_LIFETIME_SECONDS,
  );
  for (const role of EVIDENCE_ROLES) {
    const bytes = files[role];
    const signed = payload.inputs[role];
    if ((bytes === undefined) !== (signed === undefined) || (bytes !== undefined && evidenceDigest(bytes) !== signed)) {
      throw new KycError('KYC_MISMATCH', `the ${role} file is not the one the evidence request names`);
    }
  }
  return { payload, id: jws.id };
}

/** What an evidence JWE holds: the signed request and each file, base64url, by role. */
export interface EvidencePlaintext {
  readonly request: string;
  readonly files: Readonly<Partial<Record<EvidenceRole, string>>>;
}

export function evidencePlaintext(request: string, files: EvidenceFiles): EvidencePlaintext {
  const encoded: Partial<Record<EvidenceRole, string>> = {};
  for (const role of EVIDENCE_ROLES) {
    const bytes = files[role];
    if (bytes !== undefined) encoded[role] = Buffer.from(bytes).toString('base64url');
  }
  return { request, files: encoded };
}

/**
 * The request and the files of a decrypted evidence JWE, the files decoded.
 *
 * @throws KycError KYC_INVALID_ARGUMENT for another shape, an unknown role, bad base64url, or more than
 *   {@link MAX_EVIDENCE_BYTES} in all.
 */
export function parseEvidencePlaintext(value: Record<string, unknown>): { request: string; files: EvidenceFiles } {
  const { request, files } = value;
  if (Object.keys(value).some((k) => k !== 'request' && k !== 'files') || typeof request !== 'string') {
    throw invalid('expected { request, files }');
  }
  if (typeof files !== 'object' || files === null || Array.isArray(files)) throw invalid("'files' must be an object");
  return { request, files: decodeFiles(files as Record<string, unknown>) };
}

const invalid = (why: string): KycError => new KycError('KYC_INVALID_ARGUMENT', `evidence: ${why}`);

function decodeFiles(files: Record<string, unknown>): EvidenceFiles {
  const roles: readonly string[] = EVIDENCE_ROLES;
  const decoded: Partial<Record<EvidenceRole, Uint8Array>> = {};
  let total = 0;
  for (const [role, text] of Object.entries(files)) {
    if (!roles.includes(role)) throw invalid(`unknown file role '${role.slice(0, 16)}'`);
    const bytes = typeof text === 'string' ? decodeBase64UrlStrict(text) : undefined;
    if (bytes === undefined) throw invalid(`the ${role} file is not base64url`);
    total += bytes.length;
    decoded[role as EvidenceRole] = bytes;
  }
  if (total > MAX_EVIDENCE_BYTES) {
    throw invalid(`the files exceed ${MAX_EVIDENCE_BYTES / (1024 * 1024)} MiB together`);
  }
  return decoded;
}
