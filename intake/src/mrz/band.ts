import type { Canvas, Image } from '@napi-rs/canvas';
import { KycError } from '../../../protocol/src';
import { type Gray, crop, otsu, toGray, transform } from '../image';

/** The working width for finding lines: enough for 44 characters, cheap to rotate 25 times. */
const WORK_WIDTH = 900;
/** Documents photographed a few degrees off level are straightened; more is refused as no MRZ. */
const MAX_SKEW_DEGREES = 6;
/** Upscaled so a line's ink is this tall: the legacy engine misreads glyphs under ≈ 30 px. */
export const LINE_HEIGHTS = [40, 50, 32] as const;
const SKEW_WIDTH = 450;

export interface Band {
  readonly top: number;
  readonly bottom: number;
  readonly left: number;
  readonly right: number;
}

/** Rows whose share of ink pixels, per row of the bottom part of the image. */
function rowInk(gray: Gray, threshold: number, from: number): number[] {
  const rows: number[] = [];
  for (let y = from; y < gray.height; y++) {
    let ink = 0;
    const offset = y * gray.width;
    for (let x = 0; x < gray.width; x++) {
      ink += (gray.data[offset + x] ?? 255) < threshold ? 1 : 0;
    }
    rows.push(ink / gray.width);
  }
  return rows;
}

/** Text lines make a profile of sharp steps; the angle with the sharpest profile is the level one. */
function profileSharpness(gray: Gray): number {
  const rows = rowInk(gray, otsu(gray), Math.floor(gray.height / 2));
  let score = 0;
  for (let i = 1; i < rows.length; i++) {
    score += ((rows[i] ?? 0) - (rows[i - 1] ?? 0)) ** 2;
  }
  return score;
}

function sharpest(work: Canvas, angles: readonly number[]): number {
  let best = 0;
  let bestScore = -1;
  for (const degrees of angles) {
    const score = profileSharpness(toGray(transform(work, 1, degrees)));
    if (score > bestScore) {
      bestScore = score;
      best = degrees;
    }
  }
  return best;
}

/** Coarse (1°) then fine (0.25°) search on a small copy: about 17 rotations of a 450-pixel-wide image. */
function bestAngle(image: Image): number {
  const small = transform(image, SKEW_WIDTH / image.width);
  const coarse = Array.from({ length: 2 * MAX_SKEW_DEGREES + 1 }, (_, i) => i - MAX_SKEW_DEGREES);
  const rough = sharpest(small, coarse);
  return sharpest(small, [rough - 0.5, rough - 0.25, rough, rough + 0.25, rough + 0.5]);
}

function horizontalExtent(gray: Gray, threshold: number, top: number, bottom: number): [number, number] {
  const columns = new Array<number>(gray.width).fill(0);
  for (let y = top; y < bottom; y++) {
    for (let x = 0; x < gray.width; x++) {
      if ((gray.data[y * gray.width + x] ?? 255) < threshold) {
        columns[x] = (columns[x] ?? 0) + 1;
      }
    }
  }
  const minInk = Math.max(1, (bottom - top) * 0.05);
  const left = columns.findIndex((count) => count >= minInk);
  const right = gray.width - 1 - [...columns].reverse().findIndex((count) => count >= minInk);
  return [Math.max(0, left), right];
}

/** Runs of rows with ink, as text lines, in the bottom half. */
export function findBands(gray: Gray): Band[] {
  const threshold = otsu(gray);
  const from = Math.floor(gray.height * 0.4);
  const rows = rowInk(gray, threshold, from);
  const bands: Band[] = [];
  let start = -1;
  rows.push(0);
  rows.forEach((ink, i) => {
    if (ink > 0.02 && start < 0) {
      start = i;
    } else if (ink <= 0.02 && start >= 0) {
      const [left, right] = horizontalExtent(gray, threshold, from + start, from + i);
      bands.push({ top: from + start, bottom: from + i, left, right });
      start = -1;
    }
  });
  return bands;
}

function similar(a: Band, b: Band): boolean {
  const ha = a.bottom - a.top;
  const hb = b.bottom - b.top;
  const gap = b.top - a.bottom;
  return Math.abs(ha - hb) <= 0.4 * Math.max(ha, hb) && gap >= 0 && gap < 2 * Math.max(ha, hb);
}

/** The bottom-most group of up to three wide, evenly spaced lines of similar height. */
export function mrzBands(gray: Gray): Band[] {
  const wide = findBands(gray).filter((b) => b.right - b.left > 0.55 * gray.width && b.bottom - b.top >= 4);
  const last = wide[wide.length - 1];
  if (last === undefined) {
    return [];
  }
  const group = [last];
  for (let i = wide.length - 2; i >= 0 && group.length < 3; i--) {
    const band = wide[i];
    const below = group[0];
    if (band === undefined || below === undefined || !similar(band, below)) {
      break;
    }
    group.unshift(band);
  }
  return group;
}

/** Ink black, paper white: the legacy engine reads a binarised upscaled line more reliably (measured). */
function binarise(canvas: Canvas): Canvas {
  const ctx = canvas.getContext('2d');
  const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const gray = toGray(canvas);
  const threshold = otsu(gray);
  gray.data.forEach((value, i) => {
    const v = value < threshold ? 0 : 255;
    pixels.data[i * 4] = v;
    pixels.data[i * 4 + 1] = v;
    pixels.data[i * 4 + 2] = v;
  });
  ctx.putImageData(pixels, 0, 0);
  return canvas;
}

/** The MRZ lines of a straightened image, as regions of it, bottom line last. */
export interface MrzLines {
  readonly image: Canvas;
  readonly regions: readonly { x: number; y: number; width: number; height: number }[];
}

/**
 * Straightens the image and finds the MRZ's lines at the bottom.
 *
 * @throws KycError KYC_UNREADABLE when fewer than two MRZ-like lines are found.
 */
export function findMrzLines(image: Image): MrzLines {
  const straight = transform(image, 1, bestAngle(image));
  const scale = WORK_WIDTH / image.width;
  const bands = mrzBands(toGray(transform(straight, scale, 0, 1)));
  if (bands.length < 2) {
    throw new KycError('KYC_UNREADABLE', 'no machine-readable zone found in the image');
  }
  const regions = bands.map((band) => {
    const height = (band.bottom - band.top) / scale;
    const margin = height * 0.3;
    return {
      x: Math.max(0, band.left / scale - margin),
      y: Math.max(0, band.top / scale - margin),
      width: (band.right - band.left) / scale + 2 * margin,
      height: height + 2 * margin,
    };
  });
  return { image: straight, regions };
}

/** One line cropped, upscaled so its ink is `inkHeight` pixels tall, smoothed (noise) and binarised. */
export function lineImage(lines: MrzLines, index: number, inkHeight: number): Canvas {
  const region = lines.regions[index];
  if (region === undefined) {
    throw new RangeError('no such line');
  }
  return binarise(crop(lines.image, region, inkHeight / (region.height / 1.6), 20, inkHeight / 40));
}
