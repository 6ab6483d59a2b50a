import { dirname } from 'node:path';
import { type Worker, OEM, PSM, createWorker } from 'tesseract.js';
import { KycError } from '../../../protocol/src';
import { decodeImage } from '../image';
import { packageVersion } from '../versions';
import { LINE_HEIGHTS, type MrzLines, findMrzLines, lineImage } from './band';
import { type ParsedMrz, parseMrz } from './claims';
import { type FormatLayout, TD1, TD3 } from './layout';
import type { Repair } from './repair';

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
    await worker.setParameters({ tessedit_char_whitelist: WHITELIST, tessedit_pageseg_mode: PSM.SINGLE_LINE });
    return new MrzReader(worker);
  }

  static versions(): OcrVersions {
    return {
      engine: `tesseract.js ${packageVersion('tesseract.js')} (legacy engine, OEM 0)`,
      language: `@tesseract.js-data/eng ${packageVersion('@tesseract.js-data/eng')} (4.0.0 eng.traineddata)`,
      parser: `mrz ${packageVersion('mrz')}`,
    };
  }

  /**
   * @throws KycError KYC_INVALID_ARGUMENT (not a JPEG/PNG, too large), KYC_UNREADABLE (no MRZ), KYC_MISMATCH (a
   *   check digit fails beyond a unique single-character repair).
   */
  async read(bytes: Uint8Array, now: Date = new Date()): Promise<MrzReading> {
    const started = performance.now();
    const found = findMrzLines(await decodeImage(bytes));
    let failure: unknown;
    // Another scale often reads right what one misread; the check digits say which reading to keep.
    for (const inkHeight of LINE_HEIGHTS) {
      try {
        const parsed = await this.readAt(found, inkHeight, now);
        return {
          ...parsed,
          attempts: LINE_HEIGHTS.indexOf(inkHeight) + 1,
          seconds: (performance.now() - started) / 1000,
        };
      } catch (err) {
        failure = err;
      }
    }
    throw failure;
  }

  private async readAt(found: MrzLines, inkHeight: number, now: Date): Promise<ParsedMrz> {
    const texts: string[] = [];
    for (let i = 0; i < found.regions.length; i++) {
      const { data } = await this.worker.recognize(await lineImage(found, i, inkHeight).encode('png'));
      texts.push(data.text.replace(/[^A-Z0-9<]/g, ''));
    }
    const layout = chooseLayout(texts);
    const repairs: Repair[] = [];
    const lines = texts.slice(-layout.lines).map((text, i) => fitLength(text, layout.length, i, repairs));
    const parsed = parseMrz(lines, layout, now);
    return { ...parsed, repairs: [...repairs, ...parsed.repairs] };
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
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
