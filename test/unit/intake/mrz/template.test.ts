import assert from 'node:assert/strict';
import { decodeImage } from '../../../../intake/src/image';
import { findMrzLines, lineImage } from '../../../../intake/src/mrz/band';
import { TD3 } from '../../../../intake/src/mrz/layout';
import { vote } from '../../../../intake/src/mrz/reader';
import { readLineByTemplates, templateReaderAvailable } from '../../../../intake/src/mrz/template';
import { renderDocument } from '../../../../intake/testing/documents';
import { randomIdentity } from '../../../../intake/testing/identities';

describe('intake MRZ template reader and vote', () => {
  it('reads the lines of a clean generated passport by OCR-B templates, at most one character wrong', async function () {
    if (!templateReaderAvailable()) {
      this.skip();
    }
    const doc = await renderDocument(randomIdentity(41), 'TD3', 'clean', 41);
    const found = findMrzLines(await decodeImage(doc.image));
    const offset = found.regions.length - 2;
    const lines = [0, 1].map((n) => readLineByTemplates(lineImage(found, offset + n, 32), 44));
    // N/M is its weakest pair; the vote with Tesseract's readings and the check digits settle such a slip.
    const wrong = doc.mrz.flatMap((line, n) => Array.from(line).filter((char, i) => lines[n]?.charAt(i) !== char));
    assert.ok(wrong.length <= 1, `${wrong.length} characters wrong`);
  });

  it('accepts two identical readings, else waits for a third and takes the weighted majority', () => {
    const reading = (lines: string[]) => ({ layout: TD3, lines, repairs: [] });
    assert.equal(vote([reading(['AB'])]), undefined);
    assert.equal(vote([reading(['AB']), reading(['AC'])]), undefined);
    assert.deepEqual(vote([reading(['AB']), reading(['AB'])])?.lines, ['AB']);
    // The template reading (first) weighs two: it holds against two agreeing readings, not three.
    assert.deepEqual(vote([reading(['AB']), reading(['AC']), reading(['AC'])])?.lines, ['AB']);
    assert.deepEqual(vote([reading(['AB']), reading(['AC']), reading(['AC']), reading(['AC'])])?.lines, ['AC']);
  });
});
