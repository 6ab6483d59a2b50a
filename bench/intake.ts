import { KycError } from '../protocol/src';
import { passiveAuthentication } from '../intake/src/chip/passive-auth';
import { FACE_MATCH_THRESHOLD, type Face, describeFace, faceDistance, matchFaces } from '../intake/src/face/matcher';
import { MrzReader } from '../intake/src/mrz/reader';
import { certDer, makeCsca, makeDg1, makeDg2, makeDocumentSigner, makeSod } from '../intake/testing/chip';
import { FACE_BOXES, type Variant, portrait, renderDocument } from '../intake/testing/documents';
import { randomIdentity, td1Lines, td3Lines } from '../intake/testing/identities';
import { simulatedScreenReplay, transformedPhoto } from '../intake/testing/transform';
import { livenessScores } from '../intake/src/face/liveness';
import { USABLE_FACES } from '../intake/testing/person';

/**
 * `node dist/bench/intake.js [--docs N] [--formats TD3,TD1] [--variants clean,noisy,rotated,lowres]`: the
 * intake engine on generated documents and the face-api sample faces. Bounded by --docs (default 60 per
 * format and variant); prints tables (docs/intake.md quotes them).
 */

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const pct = (n: number, of: number): string => `${((100 * n) / Math.max(1, of)).toFixed(1)} %`;

interface OcrRow {
  format: string;
  variant: string;
  docs: number;
  exact: number;
  repaired: number;
  refused: number;
  wrongChecked: number;
  wrongFlagged: number;
  wrongNames: number;
  seconds: number[];
}

async function ocrRow(reader: MrzReader, format: 'TD1' | 'TD3', variant: Variant, docs: number): Promise<OcrRow> {
  const row: OcrRow = {
    format,
    variant,
    docs,
    exact: 0,
    repaired: 0,
    refused: 0,
    wrongChecked: 0,
    wrongFlagged: 0,
    wrongNames: 0,
    seconds: [],
  };
  for (let i = 0; i < docs; i++) {
    const seed = 1000 + i;
    const doc = await renderDocument(randomIdentity(seed), format, variant, seed);
    const started = performance.now();
    try {
      const result = await reader.read(doc.image);
      row.seconds.push((performance.now() - started) / 1000);
      const nameLine = format === 'TD3' ? 0 : 2;
      const checkedOk = result.lines.every((line, n) => n === nameLine || line === doc.mrz[n]);
      const flagged = result.repairs.some((r) => r.reason === 'check-digit');
      if (!checkedOk && flagged) row.wrongFlagged++;
      else if (!checkedOk) row.wrongChecked++;
      else if (result.lines[nameLine] !== doc.mrz[nameLine]) row.wrongNames++;
      else row.exact++;
      if (result.repairs.length > 0) row.repaired++;
    } catch (err) {
      row.seconds.push((performance.now() - started) / 1000);
      if (!(err instanceof KycError)) throw err;
      row.refused++;
    }
  }
  return row;
}

/** Documents printed with one check-digit-protected character wrong: every one must be refused or flagged. */
async function checkDigitFailures(
  reader: MrzReader,
  docs: number,
): Promise<{ docs: number; refused: number; flagged: number; silent: number }> {
  const out = { docs, refused: 0, flagged: 0, silent: 0 };
  for (let i = 0; i < docs; i++) {
    const seed = 5000 + i;
    const id = randomIdentity(seed);
    const format = i % 2 === 0 ? 'TD3' : 'TD1';
    const lines = format === 'TD3' ? [...td3Lines(id)] : [...td1Lines(id)];
    // A digit of the birth date, the expiry or a check digit, changed: what a forger's or printer's slip does.
    const [line, columns] = format === 'TD3' ? [1, [13, 15, 19, 22, 27, 43]] : [1, [0, 2, 6, 9, 14, 29]];
    const column = columns[i % columns.length] ?? 0;
    const text = lines[line] ?? '';
    const digit = text[column] ?? '0';
    lines[line] = text.slice(0, column) + String((Number(digit) + 1 + (i % 8)) % 10) + text.slice(column + 1);
    const doc = await renderDocument(id, format, 'clean', seed, seed, lines);
    try {
      const result = await reader.read(doc.image);
      if (result.repairs.some((r) => r.reason === 'check-digit')) out.flagged++;
      else out.silent++;
    } catch (err) {
      if (!(err instanceof KycError)) throw err;
      out.refused++;
    }
  }
  return out;
}

async function faces(): Promise<void> {
  const portraits: Buffer[] = [];
  for (let i = 0; i < FACE_BOXES.length; i++) portraits.push(await (await portrait(i)).encode('png'));
  const descriptors: (Face | undefined)[] = [];
  for (const [i, image] of portraits.entries()) {
    descriptors.push(await describeFace(image).catch(() => undefined));
    if (descriptors[i] === undefined) console.log(`portrait ${i}: no face found`);
  }
  const different: number[] = [];
  for (let i = 0; i < descriptors.length; i++)
    for (let j = i + 1; j < descriptors.length; j++) {
      const a = descriptors[i];
      const b = descriptors[j];
      if (a !== undefined && b !== undefined) different.push(faceDistance(a, b));
    }
  const same: number[] = [];
  const times: number[] = [];
  const variants: [number, number, number][] = [
    [3, 115, 1.3],
    [-4, 85, 0.7],
    [0, 100, 0.5],
  ];
  for (const [i, image] of portraits.entries()) {
    if (descriptors[i] === undefined) continue;
    for (const [degrees, brightness, scale] of variants) {
      const selfie = await transformedPhoto(image, degrees, brightness, scale);
      const result = await matchFaces(selfie, image).catch(() => undefined);
      if (result === undefined) continue;
      same.push(result.distance);
      times.push(result.seconds);
    }
  }
  const summary = (name: string, values: number[], errors: number) =>
    `| ${name} | ${values.length} | ${Math.min(...values).toFixed(3)} | ${percentile(values, 5).toFixed(3)} | ${percentile(values, 50).toFixed(3)} | ${percentile(values, 95).toFixed(3)} | ${Math.max(...values).toFixed(3)} | ${errors} |`;
  console.log(`\nFace match, threshold ${FACE_MATCH_THRESHOLD} (distance of 128-d descriptors)\n`);
  console.log('| pairs | n | min | p5 | median | p95 | max | wrong decisions at the threshold |');
  console.log('|---|---|---|---|---|---|---|---|');
  console.log(
    summary(
      'same face (portrait vs rescaled/rotated/relit/recompressed copy)',
      same,
      same.filter((d) => d >= FACE_MATCH_THRESHOLD).length,
    ),
  );
  console.log(
    summary(
      'different people (every pair of sample faces)',
      different,
      different.filter((d) => d < FACE_MATCH_THRESHOLD).length,
    ),
  );
  for (const t of [0.4, 0.45, 0.5, 0.55, 0.6]) {
    console.log(
      `threshold ${t}: false rejects ${same.filter((d) => d >= t).length}/${same.length}, false accepts ${different.filter((d) => d < t).length}/${different.length}`,
    );
  }
  console.log(
    `face match time (two detections + descriptors): mean ${mean(times).toFixed(2)} s, p95 ${percentile(times, 95).toFixed(2)} s`,
  );
}

/** Passive liveness scores on genuine-looking selfies and on a crude screen-replay simulation. */
async function liveness(): Promise<void> {
  const rows: { kind: string; antispoof: number[]; live: number[]; ms: number[] }[] = [
    { kind: 'selfie (transformed portrait)', antispoof: [], live: [], ms: [] },
    { kind: 'simulated screen replay (crude, not a real attack)', antispoof: [], live: [], ms: [] },
  ];
  for (const face of USABLE_FACES) {
    const jpeg = await (await portrait(face)).encode('jpeg', 90);
    const inputs = [await transformedPhoto(jpeg), await simulatedScreenReplay(jpeg)];
    for (const [i, input] of inputs.entries()) {
      const row = rows[i];
      const t0 = performance.now();
      const scores = await livenessScores(input);
      if (row === undefined || scores === undefined) continue;
      row.ms.push(performance.now() - t0);
      row.antispoof.push(scores.antispoof);
      row.live.push(scores.liveness);
    }
  }
  console.log('\nPassive liveness (@vladmandic/human anti-spoof and liveness models; one still image each)\n');
  console.log('| input | n | anti-spoof min | median | max | liveness min | median | max | ms mean |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const f = (v: number[]) =>
      `${Math.min(...v).toFixed(2)} | ${percentile(v, 50).toFixed(2)} | ${Math.max(...v).toFixed(2)}`;
    console.log(`| ${r.kind} | ${r.antispoof.length} | ${f(r.antispoof)} | ${f(r.live)} | ${mean(r.ms).toFixed(0)} |`);
  }
}

async function passive(): Promise<void> {
  const csca = await makeCsca();
  const ds = await makeDocumentSigner(csca);
  const dg1 = makeDg1(td3Lines(randomIdentity(1)));
  const dg2 = makeDg2(await (await portrait(0, 240)).encode('jpeg', 80));
  const sod = await makeSod(
    ds,
    new Map([
      [1, dg1],
      [2, dg2],
    ]),
  );
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    const started = performance.now();
    await passiveAuthentication({ sod, dg1, dg2 }, { cscas: [certDer(csca)] });
    times.push((performance.now() - started) * 1);
  }
  console.log(
    `\nPassive authentication (ECDSA P-256 DS and CSCA, SHA-256, DG1 + DG2 of ${dg2.length} bytes): mean ${mean(times).toFixed(1)} ms, p95 ${percentile(times, 95).toFixed(1)} ms over 50`,
  );
}

async function main(): Promise<void> {
  const docs = Number(option('docs', '60'));
  const formats = option('formats', 'TD3,TD1').split(',') as ('TD1' | 'TD3')[];
  const variants = option('variants', 'clean,noisy,rotated,lowres').split(',') as Variant[];
  const reader = await MrzReader.open();
  console.log(`MRZ OCR on generated documents (${docs} per row)\n`);
  console.log(
    '| format | variant | docs | all lines exact | exact after a repair | refused (coded) | wrong in a checked field, flagged by a check-digit repair | wrong in a checked field, unflagged | wrong only in the name line | s/doc mean | s/doc p95 |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const format of formats)
    for (const variant of variants) {
      const r = await ocrRow(reader, format, variant, docs);
      console.log(
        `| ${r.format} | ${r.variant} | ${r.docs} | ${pct(r.exact, r.docs)} | ${r.repaired} | ${r.refused} | ${r.wrongFlagged} | ${r.wrongChecked} | ${r.wrongNames} | ${mean(r.seconds).toFixed(2)} | ${percentile(r.seconds, 95).toFixed(2)} |`,
      );
    }
  const cd = await checkDigitFailures(reader, docs);
  console.log(
    `\nDocuments printed with a wrong check-digit-protected digit: ${cd.docs}; refused ${cd.refused}, accepted with the repair reported ${cd.flagged}, accepted silently ${cd.silent}`,
  );
  await reader.close();
  await passive();
  await faces();
  await liveness();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
