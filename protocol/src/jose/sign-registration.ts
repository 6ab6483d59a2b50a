import { X509Certificate } from 'node:crypto';
import {
  assertFresh,
  decodeJws,
  KycError,
  parseRegistrationPayload,
  signJws,
  TYP,
  verifiesWith,
  type Es256Signer,
  type RegistrationPayload,
} from '..';

export interface SignRegistrationOptions {
  /** ES256 with the bank's signing key (in the HSM); returns `r || s`. */
  readonly sign: Es256Signer;
  /**
   * The signer's certificate first, then any intermediates, as PEM, one certificate per entry. The wallet holds
   * the CA roots, so the leaf alone is the usual (and smallest) choice: every byte here grows the QR code.
   */
  readonly certificateChainPem: readonly string[];
}

const MAX_CHAIN_LENGTH = 4;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----/g;

function parseCertificate(pem: string, index: number): X509Certificate {
  if (typeof pem !== 'string' || (pem.match(PEM_CERTIFICATE) ?? []).length !== 1) {
    throw new KycError('KYC_INVALID_ARGUMENT', `certificate ${index} must be exactly one PEM certificate`);
  }
  try {
    return new X509Certificate(pem);
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', `certificate ${index} is not a valid X.509 certificate`, { cause });
  }
}

/**
 * Signs a registration request for the QR code: a compact JWS with `typ` kyc-registration+jwt and `x5c` = the
 * base64 DER of each certificate (RFC 7515 §4.1.6). The payload is checked first (shape, and a lifetime of at
 * most an hour) and the result is verified against the leaf's public key, so a signer that does not match the
 * certificate fails here rather than in every wallet.
 *
 * @example
 * const jws = await signRegistration(payload, { sign: hsmSigner, certificateChainPem: [verifierCertPem] });
 * @throws KycError KYC_INVALID_ARGUMENT for a malformed payload or certificate, or an empty or long chain.
 * @throws KycError KYC_INTERNAL when the signer's key is not the leaf certificate's key.
 */
export async function signRegistration(
  payload: RegistrationPayload,
  options: Readonly<SignRegistrationOptions>,
): Promise<string> {
  const checked = parseRegistrationPayload(payload as unknown as Record<string, unknown>);
  assertFresh(checked.iat, checked.exp, checked.iat, 'registration');
  const chain = options.certificateChainPem;
  if (!Array.isArray(chain) || chain.length === 0 || chain.length > MAX_CHAIN_LENGTH) {
    throw new KycError('KYC_INVALID_ARGUMENT', `certificate chain must hold 1 to ${MAX_CHAIN_LENGTH} certificates`);
  }
  const certificates = chain.map(parseCertificate);
  const x5c = certificates.map((certificate) => certificate.raw.toString('base64'));
  const jws = await signJws({ typ: TYP.registration, x5c }, { ...checked }, options.sign);
  const leaf = certificates[0];
  if (leaf === undefined || !verifiesWith(decodeJws(jws, TYP.registration), leaf.publicKey)) {
    throw new KycError('KYC_INTERNAL', 'the registration signer does not hold the key of the leaf certificate');
  }
  return jws;
}
