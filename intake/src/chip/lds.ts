import * as asn1js from 'asn1js';
import { KycError } from '../../../protocol/src';

/**
 * Reading the ICAO 9303 part 10 data groups with asn1js: DG1 (the MRZ) and DG2 (the portrait inside an
 * ISO/IEC 19794-5 biometric data block).
 */

const APPLICATION = 2;

function malformed(what: string, cause?: unknown): KycError {
  return new KycError('KYC_INVALID_ARGUMENT', `malformed ${what}`, cause === undefined ? undefined : { cause });
}

function decode(bytes: Uint8Array, what: string): asn1js.AsnType {
  const parsed = asn1js.fromBER(bytes);
  if (parsed.offset === -1 || parsed.offset !== bytes.length) {
    throw malformed(what);
  }
  return parsed.result;
}

function isTag(node: asn1js.BaseBlock, tagClass: number, tagNumber: number): boolean {
  return node.idBlock.tagClass === tagClass && node.idBlock.tagNumber === tagNumber;
}

function children(node: asn1js.AsnType, what: string): asn1js.AsnType[] {
  if (!(node instanceof asn1js.Constructed)) {
    throw malformed(what);
  }
  return node.valueBlock.value;
}

function child(node: asn1js.AsnType, tagClass: number, tagNumber: number, what: string): asn1js.AsnType {
  const found = children(node, what).find((c) => isTag(c, tagClass, tagNumber));
  if (found === undefined) {
    throw malformed(what);
  }
  return found;
}

function primitiveBytes(node: asn1js.AsnType, what: string): Uint8Array {
  const hex = (node.valueBlock as { valueHexView?: Uint8Array }).valueHexView;
  if (hex === undefined) {
    throw malformed(what);
  }
  return hex;
}

/** DG1 is `61 { 5F1F <MRZ> }`; the MRZ is 88 (TD3) or 90 (TD1) characters without line breaks. */
export function readDg1(dg1: Uint8Array): string[] {
  const root = decode(dg1, 'DG1');
  if (!isTag(root, APPLICATION, 1)) {
    throw malformed('DG1 (tag 61 expected)');
  }
  const text = Buffer.from(primitiveBytes(child(root, APPLICATION, 0x1f, 'DG1 MRZ'), 'DG1 MRZ')).toString('latin1');
  const width = text.length === 88 ? 44 : text.length === 90 ? 30 : 0;
  if (width === 0 || !/^[A-Z0-9<]+$/.test(text)) {
    throw malformed('DG1 MRZ');
  }
  return Array.from({ length: text.length / width }, (_, i) => text.slice(i * width, (i + 1) * width));
}

export interface Portrait {
  readonly type: 'image/jpeg' | 'image/jp2';
  readonly bytes: Uint8Array;
}

/**
 * DG2 is `75 { 7F61 { 02 count, 7F60 { A1 header, 5F2E|7F2E biometric data block } } }`; the block is an
 * ISO/IEC 19794-5 facial record: a 14-byte header ("FAC\0"), a 20-byte facial information block, 8 bytes per
 * feature point, 12 bytes of image information, then the image.
 */
export function readDg2(dg2: Uint8Array): Portrait {
  const root = decode(dg2, 'DG2');
  if (!isTag(root, APPLICATION, 0x15)) {
    throw malformed('DG2 (tag 75 expected)');
  }
  const group = child(root, APPLICATION, 0x61, 'DG2 biometric group');
  const template = child(group, APPLICATION, 0x60, 'DG2 biometric template');
  const block = children(template, 'DG2 template').find((c) => isTag(c, APPLICATION, 0x2e));
  if (block === undefined) {
    throw malformed('DG2 biometric data block');
  }
  return faceImage(primitiveBytes(block, 'DG2 biometric data block'));
}

function faceImage(record: Uint8Array): Portrait {
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  if (record.length < 46 || Buffer.from(record.subarray(0, 4)).toString('latin1') !== 'FAC\0') {
    throw malformed('DG2 facial record (FAC header)');
  }
  const featurePoints = view.getUint16(14 + 4);
  const start = 14 + 20 + 8 * featurePoints + 12;
  const bytes = record.subarray(start);
  const type = portraitType(bytes);
  if (type === undefined) throw malformed('DG2 image (neither JPEG nor JPEG 2000)');
  return { type, bytes };
}

/** By magic bytes: JPEG, or JPEG 2000 as a JP2 file or a bare codestream. */
function portraitType(bytes: Uint8Array): Portrait['type'] | undefined {
  const hex = Buffer.from(bytes.subarray(0, 4)).toString('hex');
  if (hex.startsWith('ffd8')) return 'image/jpeg';
  return hex === '0000000c' || hex === 'ff4fff51' ? 'image/jp2' : undefined;
}
