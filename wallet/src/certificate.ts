import type { X509Certificate } from 'node:crypto';
import { KycError } from '../../protocol/src';
import { children, DerError, expectTag, oidToString, parseDer, parseTime, TAG, type DerElement } from './der';

/**
 * What the wallet needs from an X.509 certificate beyond node:crypto's `X509Certificate`: exact validity
 * dates, the extension list (with criticality), key usage bits, and fabric-ca's attribute extension.
 */

/** fabric-ca's attribute extension: its value is the raw JSON `{"attrs":{"name":"value",…}}`. */
export const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';
const KEY_USAGE_OID = '2.5.29.15';

/**
 * Extensions this wallet understands enough to accept when marked critical (RFC 5280 §4.2: a certificate
 * with an unrecognised critical extension must be refused). Name constraints and policies are not here on
 * purpose: the wallet does not enforce them, so a CA that depends on them is refused.
 */
const UNDERSTOOD_CRITICAL: ReadonlySet<string> = new Set([
  '2.5.29.14', // subjectKeyIdentifier
  KEY_USAGE_OID,
  '2.5.29.17', // subjectAltName
  '2.5.29.19', // basicConstraints (read through X509Certificate.ca)
  '2.5.29.35', // authorityKeyIdentifier
  '2.5.29.37', // extKeyUsage
]);

export interface Extension {
  readonly critical: boolean;
  /** The content of extnValue (the OCTET STRING's bytes). */
  readonly value: Buffer;
}

export interface CertificateDetails {
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** By dotted OID. */
  readonly extensions: ReadonlyMap<string, Extension>;
}

/** Key usage bits (RFC 5280 §4.2.1.3), as masks of the first content byte of the BIT STRING. */
export const KEY_USAGE = { digitalSignature: 0x80, keyCertSign: 0x04 } as const;

function readExtension(element: DerElement): [string, Extension] {
  const [id, second, third] = children(expectTag(element, TAG.sequence, 'Extension'));
  const oid = oidToString(expectTag(id, TAG.oid, 'extnID').value);
  if (second?.tag === TAG.boolean) {
    const critical = second.value.length === 1 && second.value[0] !== 0;
    return [oid, { critical, value: expectTag(third, TAG.octetString, 'extnValue').value }];
  }
  return [oid, { critical: false, value: expectTag(second, TAG.octetString, 'extnValue').value }];
}

function readExtensions(tbsFields: readonly DerElement[]): Map<string, Extension> {
  const wrapper = tbsFields.find((field) => field.tag === 0xa3);
  const map = new Map<string, Extension>();
  if (wrapper === undefined) {
    return map;
  }
  const [list] = children(wrapper);
  for (const element of children(expectTag(list, TAG.sequence, 'Extensions'))) {
    const [oid, extension] = readExtension(element);
    if (map.has(oid)) {
      throw new DerError(`duplicate extension ${oid}`);
    }
    map.set(oid, extension);
  }
  return map;
}

/**
 * Reads validity and extensions out of the certificate's DER.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when the DER is malformed.
 */
export function certificateDetails(certificate: X509Certificate): CertificateDetails {
  try {
    const [tbs] = children(expectTag(parseDer(certificate.raw), TAG.sequence, 'Certificate'));
    const fields = children(expectTag(tbs, TAG.sequence, 'TBSCertificate'));
    // With the optional [0] version present, validity is the fifth field; without it, the fourth.
    const validityIndex = fields[0]?.tag === 0xa0 ? 4 : 3;
    const [notBefore, notAfter] = children(expectTag(fields[validityIndex], TAG.sequence, 'Validity'));
    return {
      notBefore: parseTime(notBefore),
      notAfter: parseTime(notAfter),
      extensions: readExtensions(fields),
    };
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'certificate DER is malformed', { cause });
  }
}

/** The first critical extension the wallet does not understand, if any. */
export function unknownCriticalExtension(details: CertificateDetails): string | undefined {
  for (const [oid, extension] of details.extensions) {
    if (extension.critical && !UNDERSTOOD_CRITICAL.has(oid)) {
      return oid;
    }
  }
  return undefined;
}

/** True when the certificate has no key usage extension or one that sets `mask` (see {@link KEY_USAGE}). */
export function keyUsageAllows(details: CertificateDetails, mask: number): boolean {
  const extension = details.extensions.get(KEY_USAGE_OID);
  if (extension === undefined) {
    return true;
  }
  try {
    const bits = expectTag(parseDer(extension.value), TAG.bitString, 'KeyUsage').value;
    return ((bits[1] ?? 0) & mask) !== 0;
  } catch {
    return false;
  }
}

/**
 * fabric-ca attributes (`hf.EnrollmentID`, `kyc.role`, …) from extension 1.2.3.4.5.6.7.8.1.
 *
 * @returns the attributes, or an empty object when the certificate has no such extension.
 * @throws KycError KYC_INVALID_ARGUMENT when the extension is present but not `{"attrs":{string:string}}`.
 */
export function fabricAttributes(details: CertificateDetails): Readonly<Record<string, string>> {
  const extension = details.extensions.get(FABRIC_ATTRS_OID);
  if (extension === undefined) {
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(extension.value.toString('utf8'));
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'certificate attribute extension is not JSON', { cause });
  }
  const attrs = (parsed as { attrs?: unknown } | null)?.attrs;
  if (typeof attrs !== 'object' || attrs === null || Array.isArray(attrs)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'certificate attribute extension has no attrs object');
  }
  const entries = Object.entries(attrs as Record<string, unknown>);
  if (!entries.every(([, value]) => typeof value === 'string')) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'certificate attribute values must be strings');
  }
  return Object.fromEntries(entries) as Record<string, string>;
}
