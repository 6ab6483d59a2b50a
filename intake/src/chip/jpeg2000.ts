import { createCanvas } from '@napi-rs/canvas';
import { KycError } from '../../../protocol/src';
import { MAX_IMAGE_PIXELS } from '../image';
import { packageVersion } from '../versions';

/**
 * JPEG 2000 portraits (DG2 of some states' chips) decoded in memory with OpenJPEG compiled to WebAssembly
 * (`@cornerstonejs/codec-openjpeg`, its WASM inside the npm package), then handed to the face matcher as a
 * PNG. Only the container is read here (the JP2 boxes around the codestream); the codec is the library's.
 */

interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
interface OpenJpeg {
  J2KDecoder: new () => J2KDecoder;
}

let codec: Promise<OpenJpeg> | undefined;

function openJpeg(): Promise<OpenJpeg> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- an Emscripten factory, CommonJS only
  const factory = require('@cornerstonejs/codec-openjpeg/wasmjs') as (options: object) => Promise<OpenJpeg>;
  // Its console output (header progress) is silenced: nothing about a person's image reaches a log.
  codec ??= factory({ print: () => undefined, printErr: () => undefined });
  return codec;
}

const CODESTREAM = [0xff, 0x4f, 0xff, 0x51];
const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];

const startsWith = (bytes: Uint8Array, prefix: readonly number[]): boolean => prefix.every((b, i) => bytes[i] === b);

/** The codestream of a JP2 file (its `jp2c` box), or the bytes themselves when they are a bare codestream. */
export function jpeg2000Codestream(bytes: Uint8Array): Uint8Array {
  if (startsWith(bytes, CODESTREAM)) return bytes;
  if (!startsWith(bytes, JP2_SIGNATURE)) throw invalid('neither a JP2 file nor a JPEG 2000 codestream');
  for (let at = 0; at + 8 <= bytes.length;) {
    const box = boxAt(bytes, at);
    if (box.type === 'jp2c') return bytes.subarray(box.contentStart, box.end);
    at = box.end;
  }
  throw invalid('the JP2 file has no codestream');
}

/** One JP2 box at `at` (ISO/IEC 15444-1 I.4): 32-bit length, or 1 and a 64-bit length, or 0 for "to the end". */
function boxAt(bytes: Uint8Array, at: number): { type: string; contentStart: number; end: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
  const short = view.getUint32(at);
  const long = short === 1;
  if (long && (at + 16 > bytes.length || view.getUint32(at + 8) !== 0)) throw invalid('a JP2 box is too large');
  const length = long ? view.getUint32(at + 12) : short === 0 ? bytes.length - at : short;
  const header = long ? 16 : 8;
  if (length < header || at + length > bytes.length) throw invalid('a JP2 box overruns the file');
  return { type, contentStart: at + header, end: at + length };
}

/**
 * Decodes a JPEG 2000 image (JP2 or bare codestream, 8-bit grey or RGB) into a PNG, in memory.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when it is malformed, not 8-bit grey/RGB, or too large.
 */
export async function jpeg2000ToPng(bytes: Uint8Array): Promise<Buffer> {
  const codestream = jpeg2000Codestream(bytes);
  checkSize(codestream);
  const decoder = new (await openJpeg()).J2KDecoder();
  try {
    decoder.getEncodedBuffer(codestream.length).set(codestream);
    try {
      decoder.decode();
    } catch {
      throw invalid('the JPEG 2000 image does not decode');
    }
    return await toPng(decoder.getFrameInfo(), decoder.getDecodedBuffer());
  } finally {
    decoder.delete();
  }
}

/** 8-bit grey or RGB samples, interleaved, as a PNG. */
async function toPng(
  frame: { width: number; height: number; bitsPerSample: number; componentCount: number },
  pixels: Uint8Array,
): Promise<Buffer> {
  const { width, height, bitsPerSample, componentCount } = frame;
  if (bitsPerSample !== 8 || (componentCount !== 1 && componentCount !== 3)) {
    throw invalid(`JPEG 2000 with ${componentCount} components of ${bitsPerSample} bits is not supported`);
  }
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  const image = ctx.createImageData(width, height);
  const grey = componentCount === 1;
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) image.data[p * 4 + c] = pixels[p * componentCount + (grey ? 0 : c)] ?? 0;
    image.data[p * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas.encode('png');
}

/** The image size from the SIZ marker (right after SOC), refused before any decoding when out of range. */
function checkSize(codestream: Uint8Array): void {
  if (codestream.length < 24 || codestream[2] !== 0xff || codestream[3] !== 0x51) throw invalid('no SIZ marker');
  const view = new DataView(codestream.buffer, codestream.byteOffset, codestream.byteLength);
  const width = view.getUint32(8) - view.getUint32(16);
  const height = view.getUint32(12) - view.getUint32(20);
  if (width < 16 || height < 16 || width * height > MAX_IMAGE_PIXELS) {
    throw invalid(`JPEG 2000 image of ${width}x${height} pixels is out of range`);
  }
}

export function jpeg2000Decoder(): string {
  return `@cornerstonejs/codec-openjpeg ${packageVersion('@cornerstonejs/codec-openjpeg')} (OpenJPEG, WebAssembly)`;
}

function invalid(detail: string): KycError {
  return new KycError('KYC_INVALID_ARGUMENT', detail);
}
