import type { KeyObject } from 'node:crypto';
import { p1363ToLowSDer, uncompressedPoint } from '../hsm';
import { EnrollmentError } from './errors';
import { bitString, contextConstructed, objectIdentifier, sequence, setOf, smallInteger, utf8String } from './der';

/**
 * PKCS#10 certification requests (RFC 2986) for keys that never leave the HSM: the request info is encoded
 * here and signed with ECDSA-SHA256 by the token, so fabric-ca-client never needs a key (and never loads
 * fabric-common's PKCS#11 crypto suite). Subject: CN = the enrollment id; fabric-ca fills in the rest.
 */

const OID_COMMON_NAME = '2.5.4.3';
const OID_ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const MAX_COMMON_NAME_LENGTH = 64;

/** ES256: SHA-256 of the data, signed; `r || s` (an HsmToken's `es256(ski)`). */
export type CsrSigner = (data: Uint8Array) => Promise<Uint8Array>;

/** What goes into a request. */
export interface CsrOptions {
  /** Subject CN: the enrollment id (1 to 64 characters, the X.520 upper bound). */
  readonly commonName: string;
  /** The P-256 public key being certified. */
  readonly publicKey: KeyObject;
  /** Signs with the matching private key (proof of possession). */
  readonly sign: CsrSigner;
}

/** The DER SubjectPublicKeyInfo of a P-256 key, checked to be P-256 first. */
function subjectPublicKeyInfo(publicKey: KeyObject): Buffer {
  uncompressedPoint(publicKey);
  return publicKey.export({ format: 'der', type: 'spki' });
}

/**
 * The DER of a PKCS#10 request for `publicKey` with subject CN = `commonName`, signed by `sign`.
 *
 * @throws EnrollmentError ENROLLMENT_INVALID_ARGUMENT when the common name is empty or too long; HsmError HSM_INVALID_ARGUMENT when the key
 *   is not P-256; whatever `sign` throws.
 */
export async function createCsrDer(options: Readonly<CsrOptions>): Promise<Buffer> {
  const { commonName } = options;
  if (commonName.length === 0 || commonName.length > MAX_COMMON_NAME_LENGTH) {
    throw new EnrollmentError(
      'ENROLLMENT_INVALID_ARGUMENT',
      `the CSR common name must be 1 to ${MAX_COMMON_NAME_LENGTH} characters`,
    );
  }
  const subject = sequence(setOf(sequence(objectIdentifier(OID_COMMON_NAME), utf8String(commonName))));
  const info = sequence(
    smallInteger(0),
    subject,
    subjectPublicKeyInfo(options.publicKey),
    // attributes [0] IMPLICIT SET OF Attribute: none.
    contextConstructed(0, Buffer.alloc(0)),
  );
  const signature = p1363ToLowSDer(await options.sign(info));
  return sequence(info, sequence(objectIdentifier(OID_ECDSA_WITH_SHA256)), bitString(signature));
}

/** PEM armour for DER bytes. */
export function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * A PEM `CERTIFICATE REQUEST`, as fabric-ca-client's `enroll({ csr })` takes it.
 *
 * @throws as {@link createCsrDer}.
 */
export async function createCsrPem(options: Readonly<CsrOptions>): Promise<string> {
  return toPem('CERTIFICATE REQUEST', await createCsrDer(options));
}
