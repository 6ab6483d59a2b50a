import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type Canvas, type Image, GlobalFonts, createCanvas, loadImage } from '@napi-rs/canvas';
import { type Identity, random, td1Lines, td3Lines } from './identities';

/**
 * Synthetic identity documents for tests and the benchmark: a TD3 passport data page or a TD1 card side with
 * a portrait and an OCR-B MRZ, rendered at ICAO sizes (10 px per mm). Nothing here is used in production.
 */

/** Debian's fonts-ocr-b (public domain, Matthew Skala), listed in network/install.sh's apt packages. */
const OCR_B = '/usr/share/fonts/opentype/ocr-b/OCRBS.otf';
const FONT = 'OCRB-Test';

export type Variant = 'clean' | 'noisy' | 'rotated' | 'lowres';

function registerFont(): void {
  if (GlobalFonts.families.some((f) => f.family === FONT)) {
    return;
  }
  if (!existsSync(OCR_B)) {
    throw new Error(`${OCR_B} is missing: install the Debian package fonts-ocr-b (network/install.sh does)`);
  }
  GlobalFonts.registerFromPath(OCR_B, FONT);
}

/** The JPEG samples shipped in @vladmandic/face-api (MIT); see docs/intake.md for their licence. */
export function faceSample(n: number): Buffer {
  const dir = join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'demo');
  return readFileSync(join(dir, `sample${n}.jpg`));
}

/** Face boxes [sample, x, y, width, height] found by face-api's SSD in the samples, so portraits are deterministic. */
export const FACE_BOXES: readonly (readonly [number, number, number, number, number])[] = [
  [1, 414, 354, 177, 239],
  [1, 838, 420, 186, 227],
  [1, 1476, 199, 203, 240],
  [2, 1447, 153, 193, 242],
  [2, 901, 219, 151, 233],
  [2, 360, 125, 152, 259],
  [3, 585, 329, 199, 271],
  [3, 1514, 291, 169, 279],
  [3, 1075, 214, 219, 299],
  [4, 664, 52, 186, 257],
  [4, 257, 185, 161, 245],
  [4, 988, 180, 169, 227],
  [4, 1276, 143, 145, 243],
  [5, 787, 108, 156, 211],
  [5, 1112, 198, 158, 236],
  [5, 1406, 389, 165, 271],
  [5, 597, 414, 166, 248],
  [5, 376, 859, 172, 300],
  [6, 680, 320, 159, 306],
  [6, 1180, 304, 188, 279],
  [6, 1487, 262, 211, 295],
  [6, 249, 467, 210, 290],
];

const samples = new Map<number, Image>();

async function sampleImage(n: number): Promise<Image> {
  let image = samples.get(n);
  if (image === undefined) {
    image = await loadImage(faceSample(n));
    samples.set(n, image);
  }
  return image;
}

/** A head-and-shoulders crop (ICAO-like 35×45 proportions) around face `index` of {@link FACE_BOXES}. */
export async function portrait(index: number, width = 350): Promise<Canvas> {
  const box = FACE_BOXES[index % FACE_BOXES.length];
  if (box === undefined) {
    throw new Error('no such face');
  }
  const [n, x, y, w, h] = box;
  const image = await sampleImage(n);
  const cropHeight = h * 1.7;
  const cropWidth = (cropHeight * 35) / 45;
  const left = Math.max(0, x + w / 2 - cropWidth / 2);
  const top = Math.max(0, y + h / 2 - cropHeight / 2);
  const height = Math.round((width * 45) / 35);
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ddd';
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(image, left, top, cropWidth, cropHeight, 0, 0, width, height);
  return canvas;
}

interface Geometry {
  readonly width: number;
  readonly height: number;
  readonly mrzLines: readonly string[];
  readonly mrzTop: number;
}

function geometry(format: 'TD1' | 'TD3', id: Identity): Geometry {
  // 10 px per mm: TD3 125×88 mm, TD1 85.6×54 mm; MRZ at 2.54 mm pitch, lines 4.2 mm apart, at the bottom.
  return format === 'TD3'
    ? { width: 1250, height: 880, mrzLines: td3Lines(id), mrzTop: 880 - 170 }
    : { width: 856, height: 540, mrzLines: td1Lines(id), mrzTop: 540 - 195 };
}

function drawBackground(ctx: ReturnType<Canvas['getContext']>, g: Geometry, rand: () => number): void {
  ctx.fillStyle = `rgb(${230 + Math.floor(rand() * 20)}, ${232 + Math.floor(rand() * 20)}, ${225 + Math.floor(rand() * 25)})`;
  ctx.fillRect(0, 0, g.width, g.height);
  // Guilloche-like faint curves, as on real documents.
  ctx.strokeStyle = 'rgba(120, 140, 170, 0.18)';
  for (let k = 0; k < 12; k++) {
    ctx.beginPath();
    for (let x = 0; x <= g.width; x += 10) {
      const y = g.height * 0.1 + k * 40 + 18 * Math.sin(x / 60 + k);
      if (x === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
    ctx.stroke();
  }
}

function drawVisualZone(ctx: ReturnType<Canvas['getContext']>, g: Geometry, id: Identity, format: 'TD1' | 'TD3'): void {
  ctx.fillStyle = '#234';
  ctx.font = `34px ${FONT}`;
  ctx.fillText(format === 'TD3' ? `PASSPORT ${id.issuer}` : `IDENTITY CARD ${id.issuer}`, g.width * 0.36, 60);
  ctx.font = `${format === 'TD3' ? 22 : 17}px ${FONT}`;
  const rows = [
    ['SURNAME', id.familyName.replace(/</g, ' ')],
    ['GIVEN NAMES', id.givenNames.replace(/</g, ' ')],
    ['NATIONALITY', id.nationality],
    ['DATE OF BIRTH', id.birth],
    ['SEX', id.sex],
    ['DOCUMENT NO', id.documentNumber],
  ];
  const step = format === 'TD3' ? 80 : 38;
  const below = format === 'TD3' ? 24 : 18;
  rows.forEach(([label, value], i) => {
    ctx.fillStyle = '#567';
    ctx.fillText(label ?? '', g.width * 0.36, 95 + i * step);
    ctx.fillStyle = '#111';
    ctx.fillText(value ?? '', g.width * 0.36, 95 + i * step + below);
  });
}

function drawMrz(ctx: ReturnType<Canvas['getContext']>, g: Geometry): void {
  ctx.font = `100px ${FONT}`;
  const advance = ctx.measureText('<').width / 100;
  // 2.54 mm per character = 25.4 px at 10 px/mm.
  const size = 25.4 / advance;
  ctx.font = `${size.toFixed(2)}px ${FONT}`;
  ctx.fillStyle = '#111';
  g.mrzLines.forEach((line, i) => {
    ctx.fillText(line, 60, g.mrzTop + 40 + i * 50);
  });
}

function addNoise(canvas: Canvas, rand: () => number, amount: number): void {
  const ctx = canvas.getContext('2d');
  const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const data = image.data;
  for (let i = 0; i < data.length; i += 4) {
    const n = (rand() + rand() + rand() - 1.5) * amount;
    for (let c = 0; c < 3; c++) {
      data[i + c] = Math.max(0, Math.min(255, (data[i + c] ?? 0) + n));
    }
  }
  ctx.putImageData(image, 0, 0);
}

function resample(canvas: Canvas, scale: number, degrees: number): Canvas {
  const width = Math.round(canvas.width * scale);
  const height = Math.round(canvas.height * scale);
  const out = createCanvas(width, height);
  const ctx = out.getContext('2d');
  ctx.fillStyle = '#808080';
  ctx.fillRect(0, 0, width, height);
  ctx.translate(width / 2, height / 2);
  ctx.rotate((degrees * Math.PI) / 180);
  ctx.drawImage(canvas, -width / 2, -height / 2, width, height);
  return out;
}

export interface GeneratedDocument {
  readonly image: Buffer;
  readonly identity: Identity;
  readonly format: 'TD1' | 'TD3';
  readonly variant: Variant;
  readonly mrz: readonly string[];
}

/**
 * Renders one document. `clean`: a flat scan (PNG); `noisy`: sensor noise, a slight blur and JPEG at quality
 * 70; `rotated`: 2–4° off level; `lowres`: 40 % of the size (MRZ glyphs ≈ 9 px high), JPEG.
 */
export async function renderDocument(
  identity: Identity,
  format: 'TD1' | 'TD3',
  variant: Variant,
  seed: number,
  face = seed,
  mrzOverride?: readonly string[],
): Promise<GeneratedDocument> {
  registerFont();
  const rand = random(seed ^ 0x5eed);
  const base = geometry(format, identity);
  const g = mrzOverride === undefined ? base : { ...base, mrzLines: mrzOverride };
  let canvas = createCanvas(g.width, g.height);
  const ctx = canvas.getContext('2d');
  drawBackground(ctx, g, rand);
  const photo = await portrait(face, Math.round(g.width * 0.28));
  ctx.drawImage(photo, 40, 40, photo.width, Math.min(photo.height, g.mrzTop - 60));
  drawVisualZone(ctx, g, identity, format);
  drawMrz(ctx, g);
  let image: Buffer;
  if (variant === 'clean') {
    image = await canvas.encode('png');
  } else if (variant === 'noisy') {
    canvas = resample(canvas, 1, (rand() - 0.5) * 1.5);
    addNoise(canvas, rand, 60);
    image = await canvas.encode('jpeg', 70);
  } else if (variant === 'rotated') {
    canvas = resample(canvas, 1, (rand() < 0.5 ? -1 : 1) * (2 + rand() * 2));
    image = await canvas.encode('jpeg', 85);
  } else {
    canvas = resample(canvas, 0.4, 0);
    image = await canvas.encode('jpeg', 80);
  }
  return { image, identity, format, variant, mrz: g.mrzLines };
}
