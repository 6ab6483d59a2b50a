import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { KycError } from '../../../protocol/src';
import { readDg1, readDg2, type Portrait } from './lds';

/** id-icao-mrtd-security-ldsSecurityObject */
const LDS_SECURITY_OBJECT = '2.23.136.1.1.1';
const HASHES: Readonly<Record<string, string>> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

export interface PassiveAuthInput {
  /** EF.SOD as read from the chip. */
  readonly sod: Uint8Array;
  readonly dg1: Uint8Array;
  readonly dg2: Uint8Array;
}

export interface TrustList {
  /** DER certificates of the Country Signing CAs trusted. */
  readonly cscas: readonly Uint8Array[];
  /** DER CRLs issued by those CSCAs; a Document Signer on one is refused. */
  readonly crls?: readonly Uint8Array[];
}

export interface PassiveAuthResult {
  readonly valid: true;
  readonly signer: { readonly subject: string; readonly serial: string; readonly issuer: string };
  readonly hashAlgorithm: string;
  /** The data groups whose hashes were checked. */
  readonly dataGroups: readonly number[];
  readonly dg1Lines: readonly string[];
  readonly portrait: Portrait;
  /** ISO time at which certificate validity was judged. */
  readonly checkedAt: string;
}

function fail(
  code: 'KYC_INVALID_ARGUMENT' | 'KYC_BAD_SIGNATURE' | 'KYC_UNTRUSTED' | 'KYC_EXPIRED' | 'KYC_REVOKED' | 'KYC_MISMATCH',
  detail: string,
): never {
  throw new KycError(code, detail);
}

function ber(bytes: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1) {
    fail('KYC_INVALID_ARGUMENT', `malformed ${what}`);
  }
  return parsed.result;
}

function parseOrRefuse<T>(make: () => T, what: string): T {
  try {
    return make();
  } catch {
    return fail('KYC_INVALID_ARGUMENT', `malformed ${what}`);
  }
}

/** EF.SOD is `77 { ContentInfo(SignedData) }`. */
function signedDataOf(sod: Uint8Array): pkijs.SignedData {
  const root = ber(sod, 'EF.SOD');
  const inner =
    root.idBlock.tagClass === 2 && root.idBlock.tagNumber === 23 && root instanceof asn1js.Constructed
      ? root.valueBlock.value[0]
      : root;
  return parseOrRefuse(() => {
    const info = new pkijs.ContentInfo({ schema: inner });
    return new pkijs.SignedData({ schema: info.content });
  }, 'EF.SOD SignedData');
}

function sequence(node: unknown): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Sequence)) {
    throw new Error('SEQUENCE expected');
  }
  return node.valueBlock.value;
}

interface LdsSecurityObject {
  readonly hashAlgorithm: string;
  readonly hashes: ReadonlyMap<number, Uint8Array>;
}

function ldsSecurityObject(signed: pkijs.SignedData): LdsSecurityObject {
  const content = signed.encapContentInfo;
  const eContent = content.eContent?.getValue();
  if (content.eContentType !== LDS_SECURITY_OBJECT || eContent === undefined) {
    fail('KYC_INVALID_ARGUMENT', 'EF.SOD does not carry an LDS security object');
  }
  const seq = ber(new Uint8Array(eContent), 'LDS security object');
  return parseOrRefuse(() => {
    const [, algorithm, groups] = sequence(seq);
    const algorithmId = new pkijs.AlgorithmIdentifier({ schema: algorithm }).algorithmId;
    const hashes = new Map<number, Uint8Array>();
    for (const entry of sequence(groups)) {
      const [number, value] = sequence(entry);
      if (!(number instanceof asn1js.Integer) || !(value instanceof asn1js.OctetString)) {
        throw new Error('DataGroupHash');
      }
      hashes.set(number.valueBlock.valueDec, value.valueBlock.valueHexView);
    }
    const hashAlgorithm = HASHES[algorithmId];
    if (hashAlgorithm === undefined) {
      throw new Error('unknown hash');
    }
    return { hashAlgorithm, hashes };
  }, 'LDS security object');
}

function checkHashes(lds: LdsSecurityObject, groups: ReadonlyMap<number, Uint8Array>): number[] {
  for (const [number, bytes] of groups) {
    const expected = lds.hashes.get(number);
    if (expected === undefined) {
      fail('KYC_MISMATCH', `the SOD holds no hash for DG${number}`);
    }
    const actual = createHash(lds.hashAlgorithm).update(bytes).digest();
    if (!actual.equals(Buffer.from(expected))) {
      fail('KYC_MISMATCH', `DG${number} differs from the hash the Document Signer signed`);
    }
  }
  return [...groups.keys()];
}

function within(cert: pkijs.Certificate, at: Date, what: string): void {
  if (at < cert.notBefore.value || at > cert.notAfter.value) {
    fail('KYC_EXPIRED', `the ${what} certificate is not valid at ${at.toISOString()}`);
  }
}

function rdn(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues.map((tv) => `${tv.type}=${tv.value.valueBlock.value}`).join(',');
}

async function trustedIssuer(ds: pkijs.Certificate, trust: TrustList, at: Date): Promise<pkijs.Certificate> {
  const cscas = trust.cscas.map((der) => parseOrRefuse(() => pkijs.Certificate.fromBER(der), 'CSCA certificate'));
  for (const csca of cscas.filter((c) => c.subject.isEqual(ds.issuer))) {
    if (await ds.verify(csca).catch(() => false)) {
      within(csca, at, 'CSCA');
      return csca;
    }
  }
  return fail('KYC_UNTRUSTED', 'no trusted CSCA issued the Document Signer certificate');
}

async function checkRevocation(
  ds: pkijs.Certificate,
  csca: pkijs.Certificate,
  trust: TrustList,
  at: Date,
): Promise<void> {
  for (const der of trust.crls ?? []) {
    const crl = parseOrRefuse(() => pkijs.CertificateRevocationList.fromBER(der), 'CRL');
    if (!crl.issuer.isEqual(csca.subject) || !(await crl.verify({ issuerCertificate: csca }).catch(() => false))) {
      continue;
    }
    if (crl.nextUpdate !== undefined && at > crl.nextUpdate.value) {
      fail('KYC_EXPIRED', 'the CSCA CRL is past its next update');
    }
    if (crl.isCertificateRevoked(ds)) {
      fail('KYC_REVOKED', 'the Document Signer certificate is on its CSCA CRL');
    }
  }
}

/**
 * ICAO 9303 part 11 passive authentication: the SOD's signature by its Document Signer, the Document Signer's
 * chain to a trusted CSCA (validity at `at`, CRLs), and every data group against the hash signed in the SOD.
 * It proves the data was written by the issuing state and not changed since; it does NOT prove the chip is
 * the original (a cloned chip passes): that needs active or chip authentication with the live chip.
 *
 * @throws KycError KYC_INVALID_ARGUMENT (malformed), KYC_BAD_SIGNATURE, KYC_UNTRUSTED, KYC_EXPIRED,
 *   KYC_REVOKED, KYC_MISMATCH (a data group changed).
 */
export async function passiveAuthentication(
  input: PassiveAuthInput,
  trust: TrustList,
  at: Date = new Date(),
): Promise<PassiveAuthResult> {
  const signed = signedDataOf(input.sod);
  const lds = ldsSecurityObject(signed);
  const verified = await signed.verify({ signer: 0, checkChain: false, extendedMode: true }).catch(() => undefined);
  const ds = verified?.signerCertificate;
  if (verified?.signatureVerified !== true || !(ds instanceof pkijs.Certificate)) {
    fail('KYC_BAD_SIGNATURE', 'the SOD signature does not verify with its Document Signer certificate');
  }
  within(ds, at, 'Document Signer');
  const csca = await trustedIssuer(ds, trust, at);
  await checkRevocation(ds, csca, trust, at);
  const dataGroups = checkHashes(
    lds,
    new Map([
      [1, input.dg1],
      [2, input.dg2],
    ]),
  );
  return {
    valid: true,
    signer: {
      subject: rdn(ds.subject),
      serial: Buffer.from(ds.serialNumber.valueBlock.valueHexView).toString('hex'),
      issuer: rdn(ds.issuer),
    },
    hashAlgorithm: lds.hashAlgorithm,
    dataGroups,
    dg1Lines: readDg1(input.dg1),
    portrait: readDg2(input.dg2),
    checkedAt: at.toISOString(),
  };
}
