import { KycError } from '../../../protocol/src/errors';
import type { RegistrationPayload } from '../../../protocol/src/formats';
import { REQUEST_URI_PATH } from '../../../protocol/src/http/web-api';
import { CLAIM_NAME, MAX_CLAIMS, MAX_CLOCK_SKEW_SECONDS, MSP_ID, NONCE, TYP, decodeJws, verifiesWith } from './proto';
import { certificateFromB64, certificateFromPem, ecdsaKeyOf, fabricAttributes, subjectOf, verifyPath } from './x509';

/**
 * The wallet's check of a bank's signed registration (docs/protocol.md §6, in its order), fetched by the
 * reference in the short QR: signature under the x5c leaf, payload shape, path to a CA trusted for `iss`,
 * `kyc.role=bank-verifier`, freshness; and that the request is the one the reference named.
 */

export type { RegistrationPayload } from '../../../protocol/src/formats';

export interface VerifiedRegistration {
  readonly payload: RegistrationPayload;
  /** The signer's certificate subject (O, OU, CN): who the person is dealing with. */
  readonly signer: Readonly<Record<string, string>>;
}

export type TrustList = Readonly<Record<string, readonly string[]>>;

const invalid = (what: string): never => {
  throw new KycError('KYC_INVALID_ARGUMENT', `registration: ${what}`);
};

const text = (p: Record<string, unknown>, f: string, re: RegExp): string => {
  const v = p[f];
  return typeof v === 'string' && re.test(v) ? v : invalid(`'${f}' is missing or malformed`);
};
const seconds = (p: Record<string, unknown>, f: string): number => {
  const v = p[f];
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : invalid(`'${f}' must be seconds`);
};

function claimNames(value: unknown): string[] {
  const names = Array.isArray(value) ? (value as unknown[]) : [];
  const ok = names.every((n) => typeof n === 'string' && CLAIM_NAME.test(n)) && new Set(names).size === names.length;
  return ok && names.length > 0 && names.length <= MAX_CLAIMS ? (names as string[]) : invalid("'claims' is malformed");
}

function encJwk(value: unknown): RegistrationPayload['enc_jwk'] {
  const jwk = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const coord = (v: unknown): string =>
    typeof v === 'string' && /^[A-Za-z0-9_-]{43}$/.test(v) ? v : invalid("'enc_jwk'");
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') invalid("'enc_jwk' must be a P-256 key");
  return { kty: 'EC', crv: 'P-256', x: coord(jwk.x), y: coord(jwk.y) };
}

/** The payload's shape (as protocol/src/messages.ts parseRegistrationPayload). */
export function parseRegistrationPayload(p: Record<string, unknown>): RegistrationPayload {
  const level = p.min_level;
  if (level !== 1 && level !== 2 && level !== 3) invalid("'min_level' must be 1, 2 or 3");
  const purpose = p.purpose;
  if (typeof purpose !== 'string' || purpose.length === 0 || purpose.length > 200) invalid("'purpose' is malformed");
  return {
    iss: text(p, 'iss', MSP_ID),
    registration_id: text(p, 'registration_id', NONCE),
    nonce: text(p, 'nonce', NONCE),
    iat: seconds(p, 'iat'),
    exp: seconds(p, 'exp'),
    endpoint: text(p, 'endpoint', /^https?:\/\/[^\s]{1,500}$/),
    claims: claimNames(p.claims),
    min_level: level as 1 | 2 | 3,
    enc_jwk: encJwk(p.enc_jwk),
    purpose: purpose as string,
  };
}

function assertFresh(iat: number, exp: number, now: number): void {
  if (exp <= now) throw new KycError('KYC_EXPIRED', 'this QR code has expired; ask the bank for a new one');
  if (iat > now + MAX_CLOCK_SKEW_SECONDS || exp - iat > 3600 || exp <= iat) {
    invalid('its validity window is malformed');
  }
}

/**
 * Reads a scanned QR: the URL of a registration request at a bank (`…/v1/registrations/<id>/request`).
 *
 * @throws KycError KYC_INVALID_ARGUMENT for anything else.
 */
export function parseReference(scanned: string): { requestUri: string; registrationId: string } {
  let url: URL;
  try {
    url = new URL(scanned.trim());
  } catch {
    return invalid('this QR code is not a bank registration');
  }
  const match = REQUEST_URI_PATH.exec(url.pathname);
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || match?.[1] === undefined || url.search !== '') {
    return invalid('this QR code is not a bank registration');
  }
  return { requestUri: url.href, registrationId: match[1] };
}

/**
 * @throws KycError KYC_INVALID_ARGUMENT, KYC_BAD_SIGNATURE, KYC_UNTRUSTED, KYC_EXPIRED, KYC_MISMATCH.
 */
export async function verifyRegistration(
  jws: string,
  reference: { readonly requestUri: string; readonly registrationId: string },
  trust: TrustList,
  now = new Date(),
): Promise<VerifiedRegistration> {
  const decoded = decodeJws(jws, TYP.registration);
  const chain = x5cOf(decoded.header);
  const leaf = chain[0] ?? invalid('no certificate');
  if (!(await verifiesWith(decoded, await ecdsaKeyOf(leaf)))) {
    throw new KycError('KYC_BAD_SIGNATURE', 'the bank’s signature does not verify under its certificate');
  }
  const payload = parseRegistrationPayload(decoded.payload);
  const anchors = Object.hasOwn(trust, payload.iss) ? (trust[payload.iss] ?? []).map(certificateFromPem) : [];
  if (anchors.length === 0) throw new KycError('KYC_UNTRUSTED', `${payload.iss} is not on the wallet's trust list`);
  await verifyPath(chain, anchors, now);
  if (fabricAttributes(leaf)['kyc.role'] !== 'bank-verifier') {
    throw new KycError('KYC_UNTRUSTED', 'the signer is not a bank verifier (kyc.role=bank-verifier)');
  }
  assertFresh(payload.iat, payload.exp, Math.floor(now.getTime() / 1000));
  assertReferenced(payload, reference);
  return { payload, signer: subjectOf(leaf) };
}

function x5cOf(header: Record<string, unknown>): ReturnType<typeof certificateFromB64>[] {
  const x5c = header.x5c;
  if (!Array.isArray(x5c) || x5c.length === 0 || x5c.length > 4 || !x5c.every((e) => typeof e === 'string')) {
    return invalid('it must carry 1 to 4 x5c certificates');
  }
  return x5c.map(certificateFromB64);
}

/** The request must be the one the QR named, and answered from the bank it will be presented to. */
function assertReferenced(
  payload: RegistrationPayload,
  reference: { requestUri: string; registrationId: string },
): void {
  if (
    payload.registration_id !== reference.registrationId ||
    new URL(payload.endpoint).origin !== new URL(reference.requestUri).origin
  ) {
    throw new KycError('KYC_MISMATCH', 'the fetched request is not the one this QR code names');
  }
}
