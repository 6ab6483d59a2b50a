import { type Canvas, type Image, type SKRSContext2D, createCanvas, loadImage } from '@napi-rs/canvas';
import { KycError } from '../../protocol/src';

/** Inputs above this are refused before decoding: a phone photo of a document is 1–5 MB. */
export const MAX_IMAGE_BYTES = 12 * 1024 * 1024;
/** Decompression bombs: refuse what would decode to more pixels than a 48-megapixel photo. */
export const MAX_IMAGE_PIXELS = 48_000_000;

export type ImageType = 'image/jpeg' | 'image/png';

/** The type by magic bytes only; names and declared types are not trusted. */
export function imageType(bytes: Uint8Array): ImageType {
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw new KycError('KYC_INVALID_ARGUMENT', `image over ${MAX_IMAGE_BYTES} bytes`);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return 'image/jpeg';
  }
  const png = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (bytes.length > 24 && png.every((byte, i) => bytes[i] === byte)) {
    return 'image/png';
  }
  throw new KycError('KYC_INVALID_ARGUMENT', 'not a JPEG or PNG image');
}

/**
 * Decodes a JPEG or PNG held in memory (never written anywhere). The pixel count is checked after decoding
 * against {@link MAX_IMAGE_PIXELS}; the byte cap bounds the work before it.
 *
 * @throws KycError KYC_INVALID_ARGUMENT for anything else, an oversized input or an undecodable image.
 */
export async function decodeImage(bytes: Uint8Array): Promise<Image> {
  imageType(bytes);
  let image: Image;
  try {
    image = await loadImage(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'the image does not decode', { cause });
  }
  if (image.width < 16 || image.height < 16 || image.width * image.height > MAX_IMAGE_PIXELS) {
    throw new KycError('KYC_INVALID_ARGUMENT', `image of ${image.width}x${image.height} pixels is out of range`);
  }
  return image;
}

/** 8-bit luminance, row-major. */
export interface Gray {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function toGray(canvas: Canvas): Gray {
  const { width, height } = canvas;
  const rgba = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const p = i * 4;
    data[i] = ((rgba[p] ?? 0) * 77 + (rgba[p + 1] ?? 0) * 150 + (rgba[p + 2] ?? 0) * 29) >> 8;
  }
  return { width, height, data };
}

/** A white canvas of this size, drawing with high-quality smoothing. */
function whiteCanvas(width: number, height: number): { canvas: Canvas; ctx: SKRSContext2D } {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  return { canvas, ctx };
}

/** Draws `source` scaled by `scale`, rotated by `degrees` about its centre and blurred by `blur` px, on white. */
export function transform(source: Image | Canvas, scale: number, degrees = 0, blur = 0): Canvas {
  const width = Math.max(1, Math.round(source.width * scale));
  const height = Math.max(1, Math.round(source.height * scale));
  const { canvas, ctx } = whiteCanvas(width, height);
  ctx.translate(width / 2, height / 2);
  ctx.rotate((degrees * Math.PI) / 180);
  if (blur > 0) {
    ctx.filter = `blur(${blur}px)`;
  }
  ctx.drawImage(source, -width / 2, -height / 2, width, height);
  return canvas;
}

/** A region of `source`, scaled by `scale`, with a white margin of `pad` pixels around it. */
export function crop(
  source: Canvas,
  region: { x: number; y: number; width: number; height: number },
  scale: number,
  pad: number,
  blur = 0,
): Canvas {
  const width = Math.round(region.width * scale) + 2 * pad;
  const height = Math.round(region.height * scale) + 2 * pad;
  const { canvas, ctx } = whiteCanvas(width, height);
  if (blur > 0) {
    ctx.filter = `blur(${blur}px)`;
  }
  ctx.drawImage(source, region.x, region.y, region.width, region.height, pad, pad, width - 2 * pad, height - 2 * pad);
  return canvas;
}

/** Otsu's threshold of a grey image: the level that best splits ink from paper. */
export function otsu(gray: Gray): number {
  const histogram = new Array<number>(256).fill(0);
  for (const value of gray.data) {
    histogram[value] = (histogram[value] ?? 0) + 1;
  }
  const total = gray.data.length;
  let sumAll = 0;
  histogram.forEach((count, level) => (sumAll += count * level));
  let best = 0;
  let bestLevel = 127;
  let below = 0;
  let sumBelow = 0;
  histogram.forEach((count, level) => {
    below += count;
    sumBelow += count * level;
    const above = total - below;
    if (below === 0 || above === 0) {
      return;
    }
    const between = below * above * (sumBelow / below - (sumAll - sumBelow) / above) ** 2;
    if (between > best) {
      best = between;
      bestLevel = level;
    }
  });
  return bestLevel;
}
