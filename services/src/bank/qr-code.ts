import QRCode from 'qrcode';
import { KycError } from '../../../protocol/src';

/** A QR code as the bank shows it: PNG for screens and print, SVG for web pages. */
export interface QrImages {
  readonly png: Buffer;
  readonly svg: string;
  /** The error correction level chosen (see {@link renderQrCode}). */
  readonly errorCorrectionLevel: 'Q' | 'M' | 'L';
}

export interface RenderQrCodeOptions {
  /** Pixels per module in the PNG; default 4 (a version-37 code is then about 700 px wide). */
  readonly scale?: number;
  /** Quiet zone in modules; default 4, the minimum ISO/IEC 18004 asks for. */
  readonly margin?: number;
}

/**
 * Byte-mode capacity of a version-40 code at level L, the largest any QR code holds. A registration JWS with a
 * one-certificate x5c is about 2.3–2.6 KB, which only level L (7 % recovery) can carry; smaller texts get the
 * strongest level that fits.
 */
export const MAX_QR_TEXT_BYTES = 2953;
const LEVELS = ['Q', 'M', 'L'] as const;
const DEFAULT_SCALE = 4;
const DEFAULT_MARGIN = 4;

function strongestLevelThatFits(text: string): (typeof LEVELS)[number] {
  for (const level of LEVELS) {
    try {
      QRCode.create(text, { errorCorrectionLevel: level });
      return level;
    } catch {
      // Too big at this level: try the next, weaker one.
    }
  }
  throw new KycError('KYC_INVALID_ARGUMENT', 'text does not fit in a QR code');
}

function checkSize(value: number | undefined, fallback: number, min: number, max: number, what: string): number {
  const size = value ?? fallback;
  if (!Number.isSafeInteger(size) || size < min || size > max) {
    throw new KycError('KYC_INVALID_ARGUMENT', `QR ${what} must be an integer from ${min} to ${max}`);
  }
  return size;
}

/**
 * Renders `text` (a registration JWS) as a QR code in PNG and SVG, in byte mode, with the strongest error
 * correction level that still fits (Q, then M, then L).
 *
 * @example
 * const { png, svg } = await renderQrCode(registrationJws);
 * @throws KycError KYC_INVALID_ARGUMENT when the text is empty or longer than a QR code holds.
 */
export async function renderQrCode(text: string, options: Readonly<RenderQrCodeOptions> = {}): Promise<QrImages> {
  if (typeof text !== 'string' || text.length === 0 || Buffer.byteLength(text, 'utf8') > MAX_QR_TEXT_BYTES) {
    throw new KycError('KYC_INVALID_ARGUMENT', `QR text must be 1 to ${MAX_QR_TEXT_BYTES} bytes`);
  }
  const scale = checkSize(options.scale, DEFAULT_SCALE, 1, 32, 'scale');
  const margin = checkSize(options.margin, DEFAULT_MARGIN, 0, 16, 'margin');
  const errorCorrectionLevel = strongestLevelThatFits(text);
  const png = await QRCode.toBuffer(text, { type: 'png', errorCorrectionLevel, scale, margin });
  const svg = await QRCode.toString(text, { type: 'svg', errorCorrectionLevel, margin });
  return { png, svg, errorCorrectionLevel };
}
