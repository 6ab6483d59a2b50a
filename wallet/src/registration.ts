import { X509Certificate } from 'node:crypto';
import {
  assertFresh,
  decodeJws,
  KycError,
  parseRegistrationPayload,
  ROLE_ATTRIBUTE,
  ROLES,
  TYP,
  type RegistrationPayload,
  verifiesWith,
} from '../../protocol/src';
import { certificateDetails, fabricAttributes } from './certificate';
import { trustedCasFor, verifyCertificatePath, type TrustedCas } from './trust';

const MAX_X5C_LENGTH = 4;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface VerifyRegistrationOptions {
  /** CA certificates (PEM) trusted per MSP id; the registration's `iss` selects the list. */
  readonly trustedCas: TrustedCas;
  /** Default: the current time. */
  readonly now?: Date;
}

export interface VerifiedRegistration {
  readonly payload: RegistrationPayload;
  /** base64url(SHA-256(signing input)): names this registration. */
  readonly id: string;
  /** Subject of the signer's certificate (e.g. `O=BankOrg\nOU=client\nCN=verifier1`), to show the person. */
  readonly signerSubject: string;
}

function parseX5cEntry(entry: string, index: number): X509Certificate {
  const der = BASE64.test(entry) ? Buffer.from(entry, 'base64') : undefined;
  if (der?.toString('base64') !== entry) {
    throw new KycError('KYC_INVALID_ARGUMENT', `x5c[${index}] is not base64 DER`);
  }
  try {
    return new X509Certificate(der);
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', `x5c[${index}] is not an X.509 certificate`, { cause });
  }
}

function parseX5c(x5c: readonly string[] | undefined): [X509Certificate, ...X509Certificate[]] {
  if (x5c === undefined || x5c.length === 0 || x5c.length > MAX_X5C_LENGTH) {
    throw new KycError('KYC_INVALID_ARGUMENT', `registration must carry 1 to ${MAX_X5C_LENGTH} x5c certificates`);
  }
  const chain = x5c.map(parseX5cEntry);
  const leaf = chain[0];
  if (leaf?.publicKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new KycError('KYC_INVALID_ARGUMENT', 'the registration signer certificate must hold a P-256 key');
  }
  return [leaf, ...chain.slice(1)];
}

function assertBankVerifier(leaf: X509Certificate): void {
  const role = fabricAttributes(certificateDetails(leaf))[ROLE_ATTRIBUTE];
  if (role !== ROLES.bankVerifier) {
    throw new KycError(
      'KYC_UNTRUSTED',
      `the registration signer does not hold ${ROLE_ATTRIBUTE}=${ROLES.bankVerifier}`,
    );
  }
}

/**
 * Verifies a registration request read from a bank's QR code, in this order:
 *
 * 1. compact JWS, ES256, `typ` kyc-registration+jwt, with an `x5c` header (leaf first, base64 DER);
 * 2. the signature verifies under the leaf certificate's key;
 * 3. the payload has the registration shape (issuer, ids, endpoint, claims, encryption key, purpose);
 * 4. the leaf chains (through any x5c intermediates) to a CA trusted for the payload's `iss`, every
 *    certificate on the path being within its validity period at `now`;
 * 5. the leaf carries the fabric-ca attribute `kyc.role=bank-verifier`;
 * 6. `iat`/`exp` are fresh at `now` (lifetime at most an hour, clock skew 5 minutes).
 *
 * A registration signed by a key that is not certified by the issuing bank's own CA, or by a bank identity
 * without the verifier role, is refused.
 *
 * @example
 * const { payload } = verifyRegistration(decodeQrPng(png), { trustedCas: await loadTrustFile('trust.json') });
 * @throws KycError KYC_INVALID_ARGUMENT for a malformed token, header, certificate or payload, or wrong typ.
 * @throws KycError KYC_BAD_SIGNATURE when the signature does not verify under the leaf's key.
 * @throws KycError KYC_UNTRUSTED for an unknown issuer, a certificate not issued by its CA, or a missing role.
 * @throws KycError KYC_EXPIRED when the registration or a certificate on the path is expired.
 */
export function verifyRegistration(jws: string, options: Readonly<VerifyRegistrationOptions>): VerifiedRegistration {
  const now = options.now ?? new Date();
  const decoded = decodeJws(jws, TYP.registration);
  const chain = parseX5c(decoded.header.x5c);
  const leaf = chain[0];
  if (!verifiesWith(decoded, leaf.publicKey)) {
    throw new KycError('KYC_BAD_SIGNATURE', 'the registration signature does not verify under its certificate');
  }
  const payload = parseRegistrationPayload(decoded.payload);
  const anchors = trustedCasFor(options.trustedCas, payload.iss);
  if (anchors.length === 0) {
    throw new KycError('KYC_UNTRUSTED', `no CA is trusted for ${payload.iss}`);
  }
  verifyCertificatePath(chain, anchors, now);
  assertBankVerifier(leaf);
  assertFresh(payload.iat, payload.exp, Math.floor(now.getTime() / 1000), 'registration');
  return { payload, id: decoded.id, signerSubject: leaf.subject };
}
