import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { createCanvas, loadImage } from '@napi-rs/canvas';

/**
 * A test e-passport PKI and chip contents, for tests and the benchmark only: a CSCA, Document Signers, CRLs,
 * DG1/DG2 and an EF.SOD signed over them (ICAO 9303 parts 10–12 structures, ECDSA P-256).
 */

type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY = 86_400_000;

export interface Signer {
  readonly cert: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

async function keys(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

export async function makeCsca(
  name = 'CN=CSCA Test,O=Test State,C=DE',
  from = new Date(Date.now() - 365 * DAY),
  days = 3650,
): Promise<Signer> {
  const pair = await keys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name,
    notBefore: from,
    notAfter: new Date(from.getTime() + days * DAY),
    keys: pair,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { cert, keys: pair };
}

export async function makeDocumentSigner(
  csca: Signer,
  serial = '1001',
  from = new Date(Date.now() - 30 * DAY),
  days = 365,
): Promise<Signer> {
  const pair = await keys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=Document Signer ${serial},O=Test State,C=DE`,
    issuer: csca.cert.subject,
    notBefore: from,
    notAfter: new Date(from.getTime() + days * DAY),
    publicKey: pair.publicKey,
    signingKey: csca.keys.privateKey,
    signingAlgorithm: ALG,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true)],
  });
  return { cert, keys: pair };
}

export async function makeCrl(csca: Signer, revokedSerials: readonly string[]): Promise<Uint8Array> {
  const time = (ms: number): pkijs.Time =>
    new pkijs.Time({ type: pkijs.TimeType.UTCTime, value: new Date(Date.now() + ms) });
  const crl = new pkijs.CertificateRevocationList({
    version: 1,
    issuer: pkijs.Certificate.fromBER(csca.cert.rawData).subject,
    thisUpdate: time(-DAY),
    nextUpdate: time(30 * DAY),
    revokedCertificates: revokedSerials.map(
      (serial) =>
        new pkijs.RevokedCertificate({
          userCertificate: new asn1js.Integer({ valueHex: Buffer.from(serial, 'hex') }),
          revocationDate: time(-DAY),
        }),
    ),
  });
  await crl.sign(csca.keys.privateKey, 'SHA-256');
  return new Uint8Array((crl.toSchema(true) as asn1js.Sequence).toBER(false));
}

function app(tagNumber: number, constructed: boolean, content: Uint8Array | asn1js.AsnType[]): asn1js.AsnType {
  const idBlock = { tagClass: 2, tagNumber };
  return constructed
    ? new asn1js.Constructed({ idBlock, value: content as asn1js.AsnType[] })
    : new asn1js.Primitive({ idBlock, valueHex: content as Uint8Array });
}

function der(node: asn1js.AsnType): Uint8Array {
  return new Uint8Array(node.toBER(false));
}

export function makeDg1(lines: readonly string[]): Uint8Array {
  return der(app(1, true, [app(0x1f, false, new Uint8Array(Buffer.from(lines.join(''), 'latin1')))]));
}

/** DG2 with one ISO/IEC 19794-5 facial record holding `jpeg`. */
export function makeDg2(jpeg: Uint8Array): Uint8Array {
  const header = Buffer.alloc(14);
  header.write('FAC\0', 0, 'latin1');
  header.write('010\0', 4, 'latin1');
  header.writeUInt32BE(14 + 20 + 12 + jpeg.length, 8);
  header.writeUInt16BE(1, 12);
  const info = Buffer.alloc(20);
  info.writeUInt32BE(20 + 12 + jpeg.length, 0);
  const imageInfo = Buffer.alloc(12);
  imageInfo.writeUInt8(1, 0); // full frontal
  const record = Buffer.concat([header, info, imageInfo, jpeg]);
  const templateHeader = new asn1js.Constructed({
    idBlock: { tagClass: 3, tagNumber: 1 },
    value: [new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 1 }, valueHex: new Uint8Array([1, 1]) })],
  });
  const template = app(0x60, true, [templateHeader, app(0x2e, false, new Uint8Array(record))]);
  return der(app(0x15, true, [app(0x61, true, [new asn1js.Integer({ value: 1 }), template])]));
}

const HASH_OIDS = {
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
} as const;

/** EF.SOD: `77 { ContentInfo(SignedData(LDSSecurityObject)) }` signed by `signer`. */
export async function makeSod(
  signer: Signer,
  groups: ReadonlyMap<number, Uint8Array>,
  hash: keyof typeof HASH_OIDS = 'SHA-256',
): Promise<Uint8Array> {
  const node = hash.replace('-', '').toLowerCase();
  const lds = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      new pkijs.AlgorithmIdentifier({ algorithmId: HASH_OIDS[hash] }).toSchema(),
      new asn1js.Sequence({
        value: [...groups].map(
          ([n, bytes]) =>
            new asn1js.Sequence({
              value: [
                new asn1js.Integer({ value: n }),
                new asn1js.OctetString({ valueHex: createHash(node).update(bytes).digest() }),
              ],
            }),
        ),
      }),
    ],
  });
  const ldsBytes = der(lds);
  const cert = pkijs.Certificate.fromBER(signer.cert.rawData);
  const signed = new pkijs.SignedData({
    version: 3,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: '2.23.136.1.1.1',
      eContent: new asn1js.OctetString({ valueHex: ldsBytes }),
    }),
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: cert.issuer, serialNumber: cert.serialNumber }),
      }),
    ],
    certificates: [cert],
  });
  const info = signed.signerInfos[0];
  if (info === undefined) {
    throw new Error('no signer info');
  }
  info.signedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: [
      new pkijs.Attribute({
        type: '1.2.840.113549.1.9.3',
        values: [new asn1js.ObjectIdentifier({ value: '2.23.136.1.1.1' })],
      }),
      new pkijs.Attribute({
        type: '1.2.840.113549.1.9.4',
        values: [new asn1js.OctetString({ valueHex: createHash('sha256').update(ldsBytes).digest() })],
      }),
    ],
  });
  await signed.sign(signer.keys.privateKey, 0, 'SHA-256');
  const content = new pkijs.ContentInfo({ contentType: '1.2.840.113549.1.7.2', content: signed.toSchema(true) });
  return der(app(23, true, [content.toSchema()]));
}

export function certDer(signer: Signer): Uint8Array {
  return new Uint8Array(signer.cert.rawData);
}

/**
 * A JPEG 2000 portrait as some states store it in DG2: `image` re-encoded with OpenJPEG (the WASM codec's
 * encoder) and wrapped in the JP2 boxes (signature, file type, header, codestream), for tests only.
 */
export async function jp2Portrait(image: Uint8Array): Promise<Uint8Array> {
  const source = await loadImage(Buffer.from(image));
  const canvas = createCanvas(source.width, source.height);
  canvas.getContext('2d').drawImage(source, 0, 0);
  const rgba = canvas.getContext('2d').getImageData(0, 0, source.width, source.height).data;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- an Emscripten factory, CommonJS only
  const factory = require('@cornerstonejs/codec-openjpeg/wasmjs') as (o: object) => Promise<{
    J2KEncoder: new () => {
      getDecodedBuffer(frame: object): Uint8Array;
      encode(): void;
      getEncodedBuffer(): Uint8Array;
      delete(): void;
    };
  }>;
  const encoder = new (await factory({ print: () => undefined, printErr: () => undefined })).J2KEncoder();
  try {
    const frame = { width: source.width, height: source.height, bitsPerSample: 8, componentCount: 3, isSigned: false };
    const rgb = encoder.getDecodedBuffer({ ...frame, isUsingColorSpace: false });
    for (let p = 0; p < source.width * source.height; p++) {
      for (let c = 0; c < 3; c++) rgb[p * 3 + c] = rgba[p * 4 + c] ?? 0;
    }
    encoder.encode();
    const codestream = Buffer.from(encoder.getEncodedBuffer());
    const box = (type: string, content: Buffer): Buffer => {
      const header = Buffer.alloc(8);
      header.writeUInt32BE(8 + content.length, 0);
      header.write(type, 4, 'latin1');
      return Buffer.concat([header, content]);
    };
    const ihdr = Buffer.alloc(14);
    ihdr.writeUInt32BE(source.height, 0);
    ihdr.writeUInt32BE(source.width, 4);
    ihdr.writeUInt16BE(3, 8);
    ihdr.writeUInt8(7, 10); // 8 bits
    ihdr.writeUInt8(7, 11); // compression: JPEG 2000
    const colr = Buffer.from([1, 0, 0, 0, 0, 0, 16]); // enumerated colour space: sRGB
    return Buffer.concat([
      Buffer.from('0000000c6a5020200d0a870a', 'hex'),
      box('ftyp', Buffer.concat([Buffer.from('jp2 ', 'latin1'), Buffer.alloc(4), Buffer.from('jp2 ', 'latin1')])),
      box('jp2h', Buffer.concat([box('ihdr', ihdr), box('colr', colr)])),
      box('jp2c', codestream),
    ]);
  } finally {
    encoder.delete();
  }
}
