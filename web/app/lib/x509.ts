import * as asn1js from 'asn1js';
import { BasicConstraints, Certificate } from 'pkijs';
import { KycError } from '../../../protocol/src/errors';
import { decodeB64, fromUtf8 } from './b64';
import type { WebKey } from './proto';

/**
 * The certificate checks of the wallet's registration check (docs/protocol.md §6, steps 4–5) with pkijs on
 * WebCrypto: the path from the `x5c` leaf to a CA trusted for the issuing organisation, validity, CA and key
 * usage bits, unknown critical extensions, and fabric-ca's `kyc.role` attribute. Same rules as
 * wallet/src/trust.ts and certificate.ts, which do it with node:crypto.
 */

const FABRIC_ATTRS_OID = '1.2.3.4.5.6.7.8.1';
const KEY_USAGE_OID = '2.5.29.15';
const BASIC_CONSTRAINTS_OID = '2.5.29.19';
const UNDERSTOOD_CRITICAL: ReadonlySet<string> = new Set([
  '2.5.29.14',
  KEY_USAGE_OID,
  '2.5.29.17',
  BASIC_CONSTRAINTS_OID,
  '2.5.29.35',
  '2.5.29.37',
]);
const KEY_USAGE = { digitalSignature: 0x80, keyCertSign: 0x04 } as const;

function parseDer(der: Uint8Array<ArrayBuffer>, what: string): Certificate {
  try {
    return Certificate.fromBER(der);
  } catch {
    throw new KycError('KYC_INVALID_ARGUMENT', `${what} is not an X.509 certificate`);
  }
}

export function certificateFromB64(entry: string, index: number): Certificate {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(entry)) throw new KycError('KYC_INVALID_ARGUMENT', `x5c[${index}] is not base64`);
  return parseDer(decodeB64(entry), `x5c[${index}]`);
}

export function certificateFromPem(pem: string): Certificate {
  const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return parseDer(decodeB64(body), 'a trusted CA');
}

function extension(cert: Certificate, oid: string): { critical: boolean; value: Uint8Array } | undefined {
  const found = (cert.extensions ?? []).find((e) => e.extnID === oid);
  return found === undefined ? undefined : { critical: found.critical, value: found.extnValue.valueBlock.valueHexView };
}

function keyUsageAllows(cert: Certificate, mask: number): boolean {
  const ext = extension(cert, KEY_USAGE_OID);
  if (ext === undefined) return true;
  const parsed = asn1js.fromBER(ext.value);
  if (!(parsed.result instanceof asn1js.BitString)) return false;
  return ((parsed.result.valueBlock.valueHexView[0] ?? 0) & mask) !== 0;
}

function isCa(cert: Certificate): boolean {
  const ext = extension(cert, BASIC_CONSTRAINTS_OID);
  if (ext === undefined) return false;
  try {
    return new BasicConstraints({ schema: asn1js.fromBER(ext.value).result }).cA;
  } catch {
    return false;
  }
}

function assertUsable(cert: Certificate, now: Date, what: string): void {
  if (cert.notBefore.value.getTime() > now.getTime() || cert.notAfter.value.getTime() < now.getTime()) {
    throw new KycError('KYC_EXPIRED', `${what} is outside its validity period`);
  }
  const unknown = (cert.extensions ?? []).find((e) => e.critical && !UNDERSTOOD_CRITICAL.has(e.extnID));
  if (unknown !== undefined) throw new KycError('KYC_UNTRUSTED', `${what} has an unknown critical extension`);
}

async function issuedBy(cert: Certificate, issuer: Certificate): Promise<boolean> {
  if (!cert.issuer.isEqual(issuer.subject) || !isCa(issuer) || !keyUsageAllows(issuer, KEY_USAGE.keyCertSign)) {
    return false;
  }
  try {
    return await cert.verify(issuer);
  } catch {
    return false;
  }
}

/**
 * Checks that `chain` (leaf first) leads to one of `anchors`: each certificate issued by the next, the last by
 * an anchor; everything within validity; the leaf allowed to sign.
 *
 * @throws KycError KYC_UNTRUSTED or KYC_EXPIRED.
 */
export async function verifyPath(
  chain: readonly Certificate[],
  anchors: readonly Certificate[],
  now: Date,
): Promise<void> {
  const [leaf] = chain;
  if (leaf === undefined) throw new KycError('KYC_INVALID_ARGUMENT', 'no certificate');
  chain.forEach((cert, i) => {
    assertUsable(cert, now, i === 0 ? "the bank's certificate" : `x5c[${i}]`);
  });
  if (!keyUsageAllows(leaf, KEY_USAGE.digitalSignature)) {
    throw new KycError('KYC_UNTRUSTED', "the bank's certificate may not sign");
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const [cert, issuer] = [chain[i], chain[i + 1]];
    if (cert === undefined || issuer === undefined || !(await issuedBy(cert, issuer))) {
      throw new KycError('KYC_UNTRUSTED', `x5c[${i}] is not issued by x5c[${i + 1}]`);
    }
  }
  const last = chain[chain.length - 1] ?? leaf;
  for (const anchor of anchors) {
    if (await issuedBy(last, anchor)) {
      assertUsable(anchor, now, 'the trusted CA');
      return;
    }
  }
  throw new KycError('KYC_UNTRUSTED', "the bank's certificate is not issued by a CA on the trust list for its bank");
}

/** fabric-ca attributes (`kyc.role`, …) of a certificate; {} without the extension. */
export function fabricAttributes(cert: Certificate): Readonly<Record<string, string>> {
  const ext = extension(cert, FABRIC_ATTRS_OID);
  if (ext === undefined) return {};
  try {
    const attrs = (JSON.parse(fromUtf8(ext.value)) as { attrs?: unknown }).attrs;
    if (typeof attrs === 'object' && attrs !== null && Object.values(attrs).every((v) => typeof v === 'string')) {
      return attrs as Record<string, string>;
    }
  } catch {
    // Falls through to the refusal below.
  }
  throw new KycError('KYC_INVALID_ARGUMENT', 'the certificate attribute extension is malformed');
}

/** The subject's fields (O, OU, CN) as text, to name the bank on the consent screen. */
export function subjectOf(cert: Certificate): Readonly<Record<string, string>> {
  const names: Record<string, string> = { '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.3': 'CN' };
  const out: Record<string, string> = {};
  for (const tv of cert.subject.typesAndValues) {
    const name = names[tv.type];
    const value: unknown = (tv.value.valueBlock as { value?: unknown }).value;
    if (name !== undefined && typeof value === 'string') out[name] = value;
  }
  return out;
}

/** The leaf's public key for WebCrypto ECDSA P-256. */
export async function ecdsaKeyOf(cert: Certificate): Promise<WebKey> {
  const spki = cert.subjectPublicKeyInfo.toSchema().toBER(false);
  try {
    return await crypto.subtle.importKey('spki', spki, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
  } catch {
    throw new KycError('KYC_INVALID_ARGUMENT', 'the registration signer certificate must hold a P-256 key');
  }
}
