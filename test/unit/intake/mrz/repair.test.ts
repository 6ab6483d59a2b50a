import assert from 'node:assert/strict';
import { KycError } from '../../../../protocol/src';
import { parseMrz } from '../../../../intake/src/mrz/claims';
import { checkDigit } from '../../../../intake/src/mrz/check-digit';
import { TD1, TD3 } from '../../../../intake/src/mrz/layout';
import { repairMrz } from '../../../../intake/src/mrz/repair';
import { expectedClaims, randomIdentity, td1Lines, td3Lines } from '../../../../intake/testing/identities';

const isCode = (code: string) => (err: unknown) => err instanceof KycError && err.code === code;
const NOW = new Date('2026-12-02T00:00:00Z');

function replace(line: string, at: number, char: string): string {
  return line.slice(0, at) + char + line.slice(at + 1);
}

describe('intake MRZ check digits and repairs', () => {
  it('computes ICAO 9303 check digits (the specimen passport)', () => {
    assert.equal(checkDigit('L898902C3'), '6');
    assert.equal(checkDigit('740812'), '2');
    assert.equal(checkDigit('ZE184226B<<<<<'), '1');
  });

  it('proposes the claims of generated TD3 and TD1 lines exactly, with no repair', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const id = randomIdentity(seed);
      const td3 = parseMrz(td3Lines(id), TD3, NOW);
      assert.deepEqual({ ...td3.claims }, expectedClaims(id, 'TD3'));
      assert.equal(td3.repairs.length, 0);
      const td1 = parseMrz(td1Lines(id), TD1, NOW);
      assert.deepEqual({ ...td1.claims }, expectedClaims(id, 'TD1'));
    }
  });

  it('repairs letters OCR put in a date (format), reporting each', () => {
    const LETTER: Record<string, string> = { '0': 'O', '1': 'I', '2': 'Z', '5': 'S', '8': 'B' };
    for (let seed = 1; seed <= 20; seed++) {
      const lines = td3Lines(randomIdentity(seed));
      const at = [13, 14, 15, 16, 17, 18].find((i) => LETTER[lines[1][i]!] !== undefined);
      if (at === undefined) continue;
      const repaired = repairMrz([lines[0], replace(lines[1], at, LETTER[lines[1][at]!]!)], TD3);
      assert.deepEqual(repaired.lines, lines);
      assert.deepEqual(
        repaired.repairs.map((r) => [r.field, r.column, r.reason]),
        [['birthdate', at, 'format']],
      );
    }
  });

  it('repairs a single O/0 confusion in the document number with the check digit, or refuses it as ambiguous', () => {
    let repairedOnce = false;
    for (let seed = 1; seed <= 30; seed++) {
      const lines = td3Lines(randomIdentity(seed));
      const at = lines[1].slice(0, 9).search(/[0O]/);
      if (at < 0) continue;
      const broken = [lines[0], replace(lines[1], at, lines[1][at] === '0' ? 'O' : '0')];
      try {
        const result = repairMrz(broken, TD3);
        assert.deepEqual(result.lines, lines, 'a repair is never wrong');
        assert.deepEqual(
          result.repairs.map((r) => [r.field, r.column, r.reason]),
          [['document_number', at, 'check-digit']],
        );
        repairedOnce = true;
      } catch (err) {
        assert.ok(isCode('KYC_MISMATCH')(err));
      }
    }
    assert.ok(repairedOnce);
  });

  it('refuses a check digit that no single confusion repairs (KYC_MISMATCH)', () => {
    const [l1, l2] = td3Lines(randomIdentity(3));
    const wrongCheck = String((Number(l2[19]) + 5) % 10);
    assert.throws(() => parseMrz([l1, replace(l2, 19, wrongCheck)], TD3, NOW), isCode('KYC_MISMATCH'));
    const [a, b, c] = td1Lines(randomIdentity(3));
    assert.throws(
      () => parseMrz([a, replace(b, 29, String((Number(b[29]) + 5) % 10)), c], TD1, NOW),
      isCode('KYC_MISMATCH'),
    );
  });
});
