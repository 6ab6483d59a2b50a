import { dirname } from 'node:path';
import { type Worker, OEM, PSM, createWorker } from 'tesseract.js';
import { KycError } from '../../../protocol/src';
import { decodeImage } from '../image';
import { packageVersion } from '../versions';
import { LINE_HEIGHTS, type MrzLines, findMrzLines, lineImage } from './band';
import { readLineByTemplates, templateReaderAvailable } from './template';
import { type ParsedMrz, parseMrz } from './claims';
import { type FormatLayout, TD1, TD3 } from './layout';
import type { Repair } from './repair';

const TEMPLATE_INK_HEIGHT = 32;
const WHITELIST = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<';

export interface MrzReading extends ParsedMrz {
  /** Seconds spent on this image (decode, find, OCR, parse). */
  readonly seconds: number;
  /** Readings made (each at another scale) until one passed every check digit. */
  readonly attempts: number;
}

export interface OcrVersions {
  readonly engine: string;
  readonly language: string;
  readonly templates: string;
  readonly parser: string;
}

/** Fixes the length of an OCR'd line by growing or shrinking its longest run of `<`, the usual slip. */
export function fitLength(text: string, length: number, line: number, repairs: Repair[]): string {
  let fitted = text;
  while (fitted.length !== length) {
    const runs = [...fitted.matchAll(/<+/g)].sort((a, b) => b[0].length - a[0].length);
    const longest = runs[0];
    if (longest === undefined || Math.abs(fitted.length - length) > 3) {
      throw new KycError('KYC_UNREADABLE', `MRZ line ${line + 1} read as ${text.length} characters, not ${length}`);
    }
    const at = longest.index + longest[0].length - 1;
    fitted =
      fitted.length < length
        ? `${fitted.slice(0, at)}<${fitted.slice(at)}`
        : fitted.slice(0, at) + fitted.slice(at + 1);
  }
  if (fitted !== text) {
    repairs.push({
      field: 'length',
      line,
      column: -1,
      from: String(text.length),
      to: String(length),
      reason: 'format',
    });
  }
  return fitted;
}

/**
 * Reads the MRZ of a TD3 passport or TD1 identity card from a photo or scan. One reader holds one Tesseract
 * worker (legacy engine, MRZ alphabet only) with the language data of the `@tesseract.js-data/eng` package:
 * nothing is downloaded. Images are processed in memory only.
 */
export class MrzReader {
  private constructor(private readonly worker: Worker) {}

  static async open(): Promise<MrzReader> {
    const langPath = dirname(require.resolve('@tesseract.js-data/eng/4.0.0/eng.traineddata.gz'));
    const worker = await createWorker('eng', OEM.TESSERACT_ONLY, { langPath, cacheMethod: 'none', gzip: true });
    // The legacy engine's adaptive classifier learns from every line it reads, so one long-lived worker read
    // a person's document differently depending on the documents of the people before (measured: 4 of 30
    // clean TD1 refused after 60 poor photos, none before). Off, each reading depends on its image alone.
    const params = {
      tessedit_char_whitelist: WHITELIST,
      tessedit_pageseg_mode: PSM.SINGLE_LINE,
      classify_enable_learning: '0',
      classify_enable_adaptive_matcher: '0',
    };
    await worker.setParameters(params);
    return new MrzReader(worker);
  }

  static versions(): OcrVersions {
    return {
      engine: `tesseract.js ${packageVersion('tesseract.js')} (legacy engine, OEM 0)`,
      language: `@tesseract.js-data/eng ${packageVersion('@tesseract.js-data/eng')} (4.0.0 eng.traineddata)`,
      templates: templateReaderAvailable() ? 'OCR-B glyphs from fonts-ocr-b (OCRBS.otf)' : 'none (fonts-ocr-b missing)',
      parser: `mrz ${packageVersion('mrz')}`,
    };
  }

  /**
   * Reads the MRZ with Tesseract and with OCR-B templates and accepts it when both readings agree and every
   * check digit holds (after the repairs reported); when they disagree, Tesseract readings at other scales
   * are added and each character is decided by majority. One reading alone is never trusted: some confusions
   * (S/8, Z/5, G/6) leave every check digit intact.
   *
   * @throws KycError KYC_INVALID_ARGUMENT (not a JPEG/PNG, too large), KYC_UNREADABLE (no MRZ), KYC_MISMATCH (a
   *   check digit fails beyond a unique single-character repair, or the readings do not agree).
   */
  async read(bytes: Uint8Array, now: Date = new Date()): Promise<MrzReading> {
    const started = performance.now();
    const found = findMrzLines(await decodeImage(bytes));
    const readings: Reading[] = [];
    let failure: unknown = new KycError('KYC_MISMATCH', 'the MRZ readings do not agree');
    for (const inkHeight of LINE_HEIGHTS) {
      const reading = await this.readAt(found, inkHeight).catch((err: unknown) => {
        failure = err;
        return undefined;
      });
      if (reading === undefined) {
        continue;
      }
      if (readings.length === 0 && templateReaderAvailable()) {
        readings.push(readByTemplates(found, reading));
      }
      readings.push(reading);
      const parsed = tryParse(vote(readings), now);
      if (parsed instanceof Error) {
        failure = parsed;
      } else if (parsed !== undefined) {
        return { ...parsed, attempts: readings.length, seconds: (performance.now() - started) / 1000 };
      }
    }
    const confirmed = tryParse(confirmedSingle(readings), now);
    if (confirmed !== undefined && !(confirmed instanceof Error)) {
      return { ...confirmed, attempts: readings.length, seconds: (performance.now() - started) / 1000 };
    }
    throw failure;
  }

  private async readAt(found: MrzLines, inkHeight: number): Promise<Reading> {
    const texts: string[] = [];
    for (let i = 0; i < found.regions.length; i++) {
      const { data } = await this.worker.recognize(await lineImage(found, i, inkHeight).encode('png'));
      texts.push(data.text.replace(/[^A-Z0-9<]/g, ''));
    }
    const layout = chooseLayout(texts);
    const repairs: Repair[] = [];
    const lines = texts.slice(-layout.lines).map((text, i) => fitLength(text, layout.length, i, repairs));
    return { layout, lines, repairs };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

interface Reading {
  readonly layout: FormatLayout;
  readonly lines: readonly string[];
  readonly repairs: readonly Repair[];
}

/**
 * The character with the most weight at each position. The template reading (first) weighs 2 and wins ties:
 * it is the more accurate reader on OCR-B (measured: with weight 1.5 the share of exact TD1 readings fell
 * from 95 % to 55 % and wrong TD3 readings appeared), so it is overruled only by three Tesseract readings
 * that agree.
 */
function majority(texts: readonly string[]): string {
  const first = texts[0] ?? '';
  return Array.from(first, (_, i) => {
    const weights = new Map<string, number>();
    texts.forEach((text, n) => {
      weights.set(text.charAt(i), (weights.get(text.charAt(i)) ?? 0) + (n === 0 ? 2 : 1));
    });
    return [...weights].reduce((best, entry) => (entry[1] > best[1] ? entry : best))[0];
  }).join('');
}

/** Two identical readings, or a weighted character-wise majority of three or more of one format. */
export function vote(readings: readonly Reading[]): Reading | undefined {
  const same = readings.filter((r) => r.layout === readings[0]?.layout);
  const first = same[0];
  if (first === undefined || same.length < 2) {
    return undefined;
  }
  if (same.length === 2) {
    const second = same[1];
    return second !== undefined && second.lines.join() === first.lines.join()
      ? { ...first, repairs: second.repairs }
      : undefined;
  }
  const lines = first.lines.map((_, n) => majority(same.map((r) => r.lines[n] ?? '')));
  return { layout: first.layout, lines, repairs: same.flatMap((r) => r.repairs) };
}

/** The lines that carry check digits: TD3's second, TD1's first two. */
function checkedLines(reading: Reading): string {
  return reading.lines.filter((_, n) => (reading.layout === TD3 ? n === 1 : n < 2)).join();
}

/** Last resort: a single reading whose check-digit lines another reading confirms exactly. */
function confirmedSingle(readings: readonly Reading[]): Reading | undefined {
  return readings.find((r, i) =>
    readings.some((o, j) => j !== i && o.layout === r.layout && checkedLines(o) === checkedLines(r)),
  );
}

function tryParse(reading: Reading | undefined, now: Date): ParsedMrz | Error | undefined {
  if (reading === undefined) {
    return undefined;
  }
  try {
    const parsed = parseMrz(reading.lines, reading.layout, now);
    return { ...parsed, repairs: [...reading.repairs, ...parsed.repairs] };
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** The template reader's reading of the lines Tesseract's first reading found, in the same format. */
function readByTemplates(found: MrzLines, first: Reading): Reading {
  const offset = found.regions.length - first.layout.lines;
  const lines = first.lines.map(
    (text, n) => readLineByTemplates(lineImage(found, offset + n, TEMPLATE_INK_HEIGHT), first.layout.length) ?? text,
  );
  return { layout: first.layout, lines, repairs: [] };
}

/** Two long lines are a passport (TD3), three short ones an identity card (TD1). */
function chooseLayout(texts: readonly string[]): FormatLayout {
  const last = texts[texts.length - 1] ?? '';
  if (last.length >= 40) {
    return TD3;
  }
  if (texts.length >= 3 && last.length >= 26 && last.length <= 34) {
    return TD1;
  }
  throw new KycError('KYC_UNREADABLE', 'the lines found are not a TD1 or TD3 machine-readable zone');
}
