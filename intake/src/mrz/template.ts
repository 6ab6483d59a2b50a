import { existsSync } from 'node:fs';
import { type Canvas, GlobalFonts, createCanvas } from '@napi-rs/canvas';
import { type Gray, toGray } from '../image';

/**
 * A second, independent reader for the MRZ: the zone is printed in OCR-B (ISO 1073-2) at a fixed pitch, so
 * each character cell is compared with the 37 glyphs of the alphabet rendered from an OCR-B font (Debian's
 * fonts-ocr-b, public domain). Tesseract's legacy engine is not trained on OCR-B and confuses some pairs
 * (S/8, O/0) the same way at every scale; this reader fails differently, so a vote between them is worth
 * more than more Tesseract readings.
 */

const ALPHABET = Array.from('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<');
const FONT_FILE = '/usr/share/fonts/opentype/ocr-b/OCRBS.otf';
const FONT = 'OCRB-Reader';

export function templateReaderAvailable(): boolean {
  if (GlobalFonts.families.some((f) => f.family === FONT)) {
    return true;
  }
  return existsSync(FONT_FILE) && GlobalFonts.registerFromPath(FONT_FILE, FONT) !== null;
}

/** Ink as 1, paper as 0. */
type Bits = Uint8Array;

interface Glyph {
  readonly bits: Bits;
  readonly cx: number;
  readonly cy: number;
}

function inkBox(gray: Gray): { top: number; bottom: number; left: number; right: number } | undefined {
  const rows = new Array<number>(gray.height).fill(0);
  const cols = new Array<number>(gray.width).fill(0);
  gray.data.forEach((v, i) => {
    if (v < 128) {
      rows[Math.floor(i / gray.width)] = (rows[Math.floor(i / gray.width)] ?? 0) + 1;
      cols[i % gray.width] = (cols[i % gray.width] ?? 0) + 1;
    }
  });
  const peak = Math.max(...rows);
  const top = rows.findIndex((r) => r > peak * 0.15);
  const bottom = rows.length - 1 - [...rows].reverse().findIndex((r) => r > peak * 0.15);
  // Specks of noise are not characters: a column counts when its ink is a tenth of the line's height.
  const minInk = Math.max(1, (bottom - top) * 0.1);
  const left = cols.findIndex((c) => c >= minInk);
  const right = cols.length - 1 - [...cols].reverse().findIndex((c) => c >= minInk);
  return peak === 0 ? undefined : { top, bottom, left, right };
}

function columnInk(gray: Gray, top: number, bottom: number): number[] {
  const cols = new Array<number>(gray.width).fill(0);
  for (let y = top; y <= bottom; y++) {
    for (let x = 0; x < gray.width; x++) {
      cols[x] = (cols[x] ?? 0) + ((gray.data[y * gray.width + x] ?? 255) < 128 ? 1 : 0);
    }
  }
  return cols;
}

/**
 * The pitch and start of the character cells. OCR-B glyphs fill about 70–80 % of their cell, centred, so the
 * ink from the first glyph's left to the last glyph's right spans about `count - 0.25` pitches; the search
 * around that estimate picks the grid whose cell boundaries cross the least ink.
 */
function grid(cols: readonly number[], left: number, right: number, count: number): { x0: number; pitch: number } {
  const estimate = (right - left + 1) / (count - 0.25);
  let best = { x0: left - 0.14 * estimate, pitch: estimate, score: Infinity };
  for (let pitch = estimate * 0.985; pitch <= estimate * 1.015; pitch += 0.02) {
    for (let x0 = left - 0.3 * pitch; x0 <= left - 0.02 * pitch; x0 += 0.25) {
      let score = 0;
      for (let k = 0; k <= count; k++) {
        score += cols[Math.round(x0 + k * pitch)] ?? 0;
      }
      if (score < best.score) {
        best = { x0, pitch, score };
      }
    }
  }
  return best;
}

/**
 * The ink centroid near where the grid puts a cell's centre: the cell is cut around the glyph actually
 * there, so a slightly wrong pitch does not drift across a 44-character line.
 */
function localCentre(cols: readonly number[], centre: number, pitch: number): number {
  let sum = 0;
  let ink = 0;
  for (let x = Math.round(centre - pitch * 0.45); x <= Math.round(centre + pitch * 0.45); x++) {
    sum += x * (cols[x] ?? 0);
    ink += cols[x] ?? 0;
  }
  return ink === 0 ? centre : sum / ink;
}

function cellBits(gray: Gray, x: number, y: number, width: number, height: number): Glyph {
  const bits = new Uint8Array(width * height);
  let sx = 0;
  let sy = 0;
  let n = 0;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const ink = (gray.data[(y + j) * gray.width + x + i] ?? 255) < 128 ? 1 : 0;
      bits[j * width + i] = ink;
      sx += ink * i;
      sy += ink * j;
      n += ink;
    }
  }
  return { bits, cx: n === 0 ? width / 2 : sx / n, cy: n === 0 ? height / 2 : sy / n };
}

/**
 * The 37 glyphs drawn in a cell of the line's size. OCR-B is monospaced, so the pitch fixes the font size;
 * the glyphs stand on the line's baseline (its lowest ink, less OCR-B's small descent).
 */
function templates(width: number, height: number, pitch: number, baseline: number): Map<string, Glyph> {
  const canvas: Canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.font = `100px ${FONT}`;
  const size = (100 * pitch) / ctx.measureText('<').width;
  const descent = (ctx.measureText('0').actualBoundingBoxDescent * size) / 100;
  ctx.font = `${size.toFixed(2)}px ${FONT}`;
  const out = new Map<string, Glyph>();
  for (const char of ALPHABET) {
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = '#000';
    ctx.fillText(char, (width - pitch) / 2, baseline - descent);
    out.set(char, cellBits(toGray(canvas), 0, 0, width, height));
  }
  return out;
}

function overlap(cell: Glyph, glyph: Glyph, width: number, height: number, dx: number, dy: number): number {
  let inter = 0;
  let union = 0;
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const a = cell.bits[j * width + i] ?? 0;
      const x = i + dx;
      const y = j + dy;
      const b = x >= 0 && y >= 0 && x < width && y < height ? (glyph.bits[y * width + x] ?? 0) : 0;
      inter += a & b;
      union += a | b;
    }
  }
  return union === 0 ? 0 : inter / union;
}

/**
 * Jaccard overlap of the two glyphs: horizontally aligned on their ink centroids, vertically on the line's
 * baseline; `refine` also tries ±1 px across and ±2 px up and down (what is left of skew).
 */
function similarity(cell: Glyph, glyph: Glyph, width: number, height: number, refine: boolean): number {
  const bx = Math.round(glyph.cx - cell.cx);
  let best = overlap(cell, glyph, width, height, bx, 0);
  const shifts = refine ? [-1, 0, 1].flatMap((dx) => [-2, -1, 0, 1, 2].map((dy) => [bx + dx, dy] as const)) : [];
  for (const [dx, dy] of shifts) {
    best = Math.max(best, overlap(cell, glyph, width, height, dx, dy));
  }
  return best;
}

/** Ranks all glyphs cheaply, then refines the five best with small shifts. */
function classify(cell: Glyph, glyphs: ReadonlyMap<string, Glyph>, width: number, height: number): string {
  const ranked = [...glyphs]
    .map(([char, glyph]) => ({ char, glyph, score: similarity(cell, glyph, width, height, false) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, 5)
    .map((c) => ({ char: c.char, score: similarity(cell, c.glyph, width, height, true) }))
    .sort((a, b) => b.score - a.score);
  return ranked[0]?.char ?? '<';
}

/**
 * Reads one binarised MRZ line image of `count` characters by template matching.
 *
 * @returns the text, or `undefined` when the line has no ink.
 */
export function readLineByTemplates(line: Canvas, count: number): string | undefined {
  const gray = toGray(line);
  const box = inkBox(gray);
  if (box === undefined) {
    return undefined;
  }
  const capHeight = box.bottom - box.top + 1;
  const margin = Math.ceil(capHeight * 0.25);
  const { x0, pitch } = grid(columnInk(gray, box.top, box.bottom), box.left, box.right, count);
  const width = Math.ceil(pitch);
  const height = capHeight + 2 * margin;
  const glyphs = templates(width, height, pitch, margin + capHeight - 1);
  const cols = columnInk(gray, box.top, box.bottom);
  let text = '';
  for (let k = 0; k < count; k++) {
    const cell = cellBits(
      gray,
      Math.round(localCentre(cols, x0 + (k + 0.5) * pitch, pitch) - pitch / 2),
      box.top - margin,
      width,
      height,
    );
    text += classify(cell, glyphs, width, height);
  }
  return text;
}
