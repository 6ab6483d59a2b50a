import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { KycError } from '../../protocol/src';

/** Largest PNG file accepted. */
export const MAX_QR_PNG_BYTES = 8 * 1024 * 1024;
/** Largest image accepted, in pixels (4096 × 4096): decoding allocates 4 bytes per pixel. */
export const MAX_QR_PIXELS = 4096 * 4096;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from the IHDR chunk, read before anything is decompressed. */
function readDimensions(png: Buffer): { width: number; height: number } {
  if (png.length < 24 || !png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('ascii', 12, 16) !== 'IHDR') {
    throw new KycError('KYC_INVALID_ARGUMENT', 'not a PNG image');
  }
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/**
 * Finds and decodes the QR code in a PNG image (pngjs to pixels, jsQR to text), e.g. a photo or screenshot of
 * the bank's registration code. The bytes of the code are returned as UTF-8 text, exactly.
 *
 * @example
 * const jws = decodeQrPng(await readFile('registration.png'));
 * @throws KycError KYC_INVALID_ARGUMENT when the input is not a PNG within the size limits or holds no
 * readable QR code.
 */
export function decodeQrPng(png: Buffer): string {
  if (!Buffer.isBuffer(png) || png.length > MAX_QR_PNG_BYTES) {
    throw new KycError('KYC_INVALID_ARGUMENT', `QR image must be a PNG of at most ${MAX_QR_PNG_BYTES} bytes`);
  }
  const { width, height } = readDimensions(png);
  if (width === 0 || height === 0 || width * height > MAX_QR_PIXELS) {
    throw new KycError('KYC_INVALID_ARGUMENT', `QR image must have 1 to ${MAX_QR_PIXELS} pixels`);
  }
  let image: PNG;
  try {
    image = PNG.sync.read(png);
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'the PNG image is damaged', { cause });
  }
  const pixels = new Uint8ClampedArray(image.data.buffer, image.data.byteOffset, image.data.length);
  const code = jsQR(pixels, image.width, image.height);
  if (code === null || code.binaryData.length === 0) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'no readable QR code in the image');
  }
  return Buffer.from(code.binaryData).toString('utf8');
}
