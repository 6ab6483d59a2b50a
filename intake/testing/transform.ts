import { createCanvas, loadImage } from '@napi-rs/canvas';

/**
 * A "selfie" made from a portrait for tests and the benchmark: rescaled by `scale`, rotated, relit and
 * recompressed. Same face, different pixels.
 */
export async function transformedPhoto(image: Uint8Array, degrees = 3, brightness = 115, scale = 1.3): Promise<Buffer> {
  const source = await loadImage(Buffer.from(image));
  const canvas = createCanvas(Math.round(source.width * scale), Math.round(source.height * scale));
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#889';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.filter = `brightness(${brightness}%)`;
  ctx.translate(canvas.width / 2, canvas.height / 2);
  ctx.rotate((degrees * Math.PI) / 180);
  const w = source.width * scale * 0.92;
  const h = source.height * scale * 0.92;
  ctx.drawImage(source, -w / 2, -h / 2, w, h);
  return canvas.encode('jpeg', 75);
}
