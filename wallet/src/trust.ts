import { X509Certificate } from 'node:crypto';
import { KycError, MSP_ID } from '../../protocol/src';
import { certificateDetails, KEY_USAGE, keyUsageAllows, unknownCriticalExtension } from './certificate';
import { readFileCapped } from './files';

/**
 * Which certificate authorities the wallet trusts, per organisation: `{ "<mspId>": ["-----BEGIN CERTIFICATE…"] }`.
 * A registration that says `iss: BankMSP` is accepted only from a certificate issued by one of BankMSP's CAs,
 * so a certificate from any other organisation's CA (even a trusted one) cannot speak for BankMSP.
 */
export type TrustedCas = Readonly<Record<string, readonly string[]>>;

const MAX_TRUST_FILE_BYTES = 1024 * 1024;
const MAX_CAS_PER_ORG = 16;

function parseCaPem(pem: unknown, mspId: string): X509Certificate {
  if (typeof pem !== 'string' || (pem.match(/-----BEGIN CERTIFICATE-----/g) ?? []).length !== 1) {
    throw new KycError('KYC_INVALID_ARGUMENT', `trusted CAs of ${mspId} must be PEM strings, one certificate each`);
  }
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', `a trusted CA of ${mspId} is not a valid certificate`, { cause });
  }
  if (!certificate.ca) {
    throw new KycError('KYC_INVALID_ARGUMENT', `a trusted CA of ${mspId} is not a CA certificate`);
  }
  return certificate;
}

/**
 * Checks a trust object and parses the CAs of one organisation.
 *
 * @returns the CA certificates trusted for `mspId` (empty when the organisation is not listed).
 * @throws KycError KYC_INVALID_ARGUMENT when the object or any of the organisation's certificates is malformed.
 */
export function trustedCasFor(trusted: TrustedCas, mspId: string): X509Certificate[] {
  if (typeof trusted !== 'object' || (trusted as unknown) === null || Array.isArray(trusted)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'trusted CAs must be an object of MSP id to PEM certificates');
  }
  if (!Object.hasOwn(trusted, mspId)) {
    return [];
  }
  const pems: unknown = trusted[mspId];
  if (!Array.isArray(pems) || pems.length > MAX_CAS_PER_ORG) {
    throw new KycError('KYC_INVALID_ARGUMENT', `trusted CAs of ${mspId} must be an array of PEM certificates`);
  }
  return (pems as unknown[]).map((pem) => parseCaPem(pem, mspId));
}

/**
 * Reads a trust file (`{ "<mspId>": ["-----BEGIN CERTIFICATE-----…"] }`) and checks every entry.
 *
 * @throws KycError KYC_NOT_FOUND when the file is missing, KYC_INVALID_ARGUMENT when it is malformed.
 */
export async function loadTrustFile(path: string): Promise<TrustedCas> {
  const text = await readFileCapped(path, MAX_TRUST_FILE_BYTES, 'trust file');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', `trust file ${path} is not JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KycError('KYC_INVALID_ARGUMENT', `trust file ${path} must be an object of MSP id to certificates`);
  }
  const trusted = parsed as TrustedCas;
  for (const mspId of Object.keys(trusted)) {
    if (!MSP_ID.test(mspId)) {
      throw new KycError('KYC_INVALID_ARGUMENT', `trust file ${path}: '${mspId.slice(0, 64)}' is not an MSP id`);
    }
    trustedCasFor(trusted, mspId);
  }
  return trusted;
}

function issuedBy(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Validity window, and no critical extension the wallet would be ignoring. */
function assertUsable(certificate: X509Certificate, now: Date, what: string): ReturnType<typeof certificateDetails> {
  const details = certificateDetails(certificate);
  const unknown = unknownCriticalExtension(details);
  if (unknown !== undefined) {
    throw new KycError('KYC_UNTRUSTED', `${what} has an unsupported critical extension ${unknown}`);
  }
  if (now < details.notBefore || now > details.notAfter) {
    throw new KycError('KYC_EXPIRED', `${what} is outside its validity period`);
  }
  return details;
}

function assertUsableCa(certificate: X509Certificate, now: Date, what: string): void {
  const details = assertUsable(certificate, now, what);
  if (!certificate.ca || !keyUsageAllows(details, KEY_USAGE.keyCertSign)) {
    throw new KycError('KYC_UNTRUSTED', `${what} is not allowed to issue certificates`);
  }
}

/**
 * Checks that `chain` (leaf first, then intermediates, as in `x5c`) leads to one of `anchors`: each certificate
 * is issued by the next (name match and signature), the last by an anchor; every certificate on the path,
 * anchor included, is valid at `now`, issuers are CAs allowed to sign certificates, and no certificate carries
 * a critical extension the wallet does not understand. The leaf must allow digital signatures.
 *
 * @throws KycError KYC_UNTRUSTED when the path does not lead to an anchor or breaks a rule above.
 * @throws KycError KYC_EXPIRED when a certificate on the path is outside its validity period.
 * @throws KycError KYC_INVALID_ARGUMENT when a certificate's DER is malformed.
 */
export function verifyCertificatePath(
  chain: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
  now: Date,
): void {
  const [leaf, ...intermediates] = chain;
  if (leaf === undefined) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'certificate chain is empty');
  }
  if (!keyUsageAllows(assertUsable(leaf, now, 'signer certificate'), KEY_USAGE.digitalSignature)) {
    throw new KycError('KYC_UNTRUSTED', 'signer certificate is not allowed to sign');
  }
  let current = leaf;
  for (const next of intermediates) {
    if (!issuedBy(current, next)) {
      throw new KycError('KYC_UNTRUSTED', 'x5c certificates do not form a chain');
    }
    assertUsableCa(next, now, 'intermediate CA certificate');
    current = next;
  }
  const anchor = anchors.find((candidate) => issuedBy(current, candidate));
  if (anchor === undefined) {
    throw new KycError('KYC_UNTRUSTED', 'signer certificate is not issued by a trusted CA of the issuer');
  }
  assertUsableCa(anchor, now, 'trusted CA certificate');
}
