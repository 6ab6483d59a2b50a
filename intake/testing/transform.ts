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

/**
 * A crude stand-in for a screen replay (someone holding a phone showing the portrait to the camera): the
 * portrait inside a dark bezel, with scanlines, a blue cast and lower contrast. It is NOT a real attack sample
 * (no registry package ships those); the benchmark uses it only to see whether the passive scores move at all.
 */
export async function simulatedScreenReplay(image: Uint8Array): Promise<Buffer> {
  const source = await loadImage(Buffer.from(image));
  const bezel = Math.round(source.width * 0.12);
  const canvas = createCanvas(source.width + 2 * bezel, source.height + 2 * bezel);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#111';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.filter = 'contrast(80%) saturate(70%)';
  ctx.drawImage(source, bezel, bezel);
  ctx.filter = 'none';
  ctx.fillStyle = 'rgba(40, 70, 160, 0.12)';
  ctx.fillRect(bezel, bezel, source.width, source.height);
  ctx.fillStyle = 'rgba(0, 0, 0, 0.25)';
  for (let y = bezel; y < bezel + source.height; y += 3) ctx.fillRect(bezel, y, source.width, 1);
  return canvas.encode('jpeg', 80);
}
