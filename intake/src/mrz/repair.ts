import { KycError } from '../../../protocol/src';
import { checkDigit } from './check-digit';
import { type CheckedField, type FormatLayout, type Span, read } from './layout';

/** One character the reader changed, and why. */
export interface Repair {
  readonly field: string;
  readonly line: number;
  readonly column: number;
  readonly from: string;
  readonly to: string;
  /** `format`: a letter where only digits may stand (or the reverse); `check-digit`: the only one-character change that makes the check digits hold. */
  readonly reason: 'format' | 'check-digit';
}

export interface RepairedMrz {
  readonly lines: readonly string[];
  readonly repairs: readonly Repair[];
}

// Shapes OCR confuses. G/6 is left out on purpose: 'G' is worth 16, so with weights 7/3/1 the swap never
// changes a check digit and could never be caught.
const LETTER_FOR_DIGIT: Readonly<Record<string, string>> = { '0': 'O', '1': 'I', '2': 'Z', '5': 'S', '8': 'B' };
const DIGIT_FOR_LETTER: Readonly<Record<string, string>> = {
  O: '0',
  Q: '0',
  D: '0',
  I: '1',
  L: '1',
  Z: '2',
  S: '5',
  B: '8',
};
function replaceAt(lines: string[], line: number, column: number, char: string): void {
  const text = lines[line] ?? '';
  lines[line] = text.slice(0, column) + char + text.slice(column + 1);
}

function positions(at: Span): number[] {
  return Array.from({ length: at.end - at.start }, (_, i) => at.start + i);
}

/** Letters where only digits may stand become digits, digits in names and state codes become letters. */
function repairFormat(lines: string[], layout: FormatLayout, repairs: Repair[]): void {
  const fix = (at: Span, table: Readonly<Record<string, string>>, field: string): void => {
    for (const column of positions(at)) {
      const from = (lines[at.line] ?? '').charAt(column);
      const to = table[from];
      if (to !== undefined) {
        replaceAt(lines, at.line, column, to);
        repairs.push({ field, line: at.line, column, from, to, reason: 'format' });
      }
    }
  };
  for (const field of layout.checked) {
    if (field.kind === 'digit') {
      fix(field.span, DIGIT_FOR_LETTER, field.name);
    }
    fix(field.check, DIGIT_FOR_LETTER, `${field.name}_check`);
  }
  fix(layout.composite.check, DIGIT_FOR_LETTER, 'composite_check');
  for (const at of layout.alpha) {
    fix(at, LETTER_FOR_DIGIT, 'text');
  }
}

function fieldHolds(lines: readonly string[], field: CheckedField): boolean {
  const check = read(lines, field.check);
  const value = read(lines, field.span);
  // An empty optional field may carry `<` as its check digit.
  return checkDigit(value) === check || (check === '<' && /^<*$/.test(value));
}

function compositeHolds(lines: readonly string[], layout: FormatLayout): boolean {
  const covered = layout.composite.covers.map((at) => read(lines, at)).join('');
  return checkDigit(covered) === read(lines, layout.composite.check);
}

/**
 * Only letter/digit swaps, and only where both may stand (document number, optional data): such a swap always
 * changes the check digit, so it is always detected. Digit/digit confusions (1/7, 0/8) are not repaired: a
 * guess among digits passes a mod-10 check one time in ten, so the reader tries another scale instead.
 */
function alternatives(char: string, kind: 'digit' | 'alnum'): readonly string[] {
  const swapped = kind === 'alnum' ? (LETTER_FOR_DIGIT[char] ?? DIGIT_FOR_LETTER[char]) : undefined;
  return swapped === undefined ? [] : [swapped];
}

interface Candidate {
  readonly lines: string[];
  readonly repair: Repair;
}

/** Every one-character confusion in the field or its check digit after which the field's check digit holds. */
function candidatesFor(lines: readonly string[], field: CheckedField): Candidate[] {
  const found: Candidate[] = [];
  const tryAt = (at: Span, kind: 'digit' | 'alnum'): void => {
    for (const column of positions(at)) {
      const from = (lines[at.line] ?? '').charAt(column);
      for (const to of alternatives(from, kind)) {
        const changed = [...lines];
        replaceAt(changed, at.line, column, to);
        if (fieldHolds(changed, field)) {
          found.push({
            lines: changed,
            repair: { field: field.name, line: at.line, column, from, to, reason: 'check-digit' },
          });
        }
      }
    }
  };
  tryAt(field.span, field.kind);
  return found;
}

function refuse(what: string): never {
  throw new KycError(
    'KYC_MISMATCH',
    `the MRZ ${what} check digit does not hold and no single-character repair is unique`,
  );
}

/**
 * Repairs the confusions OCR makes, using the check digits as the judge: a field whose check digit fails is
 * accepted only if exactly one single-character confusion makes both its own and the composite check digit
 * hold. Anything else is refused, so a wrong value is never proposed silently.
 *
 * @throws KycError KYC_MISMATCH when a check digit fails and cannot be repaired unambiguously.
 */
export function repairMrz(input: readonly string[], layout: FormatLayout): RepairedMrz {
  const lines = [...input];
  const repairs: Repair[] = [];
  repairFormat(lines, layout, repairs);
  let current: readonly string[] = lines;
  const broken = layout.checked.filter((field) => !fieldHolds(current, field));
  for (const field of broken) {
    // The composite can judge a candidate only once every other field holds.
    const othersHold = layout.checked.every((other) => other === field || fieldHolds(current, other));
    const candidates = candidatesFor(current, field).filter((c) => !othersHold || compositeHolds(c.lines, layout));
    const only = candidates.length === 1 ? candidates[0] : undefined;
    if (only === undefined) {
      refuse(field.name);
    }
    current = only.lines;
    repairs.push(only.repair);
  }
  return repairComposite(current, layout, repairs);
}

function repairComposite(lines: readonly string[], layout: FormatLayout, repairs: Repair[]): RepairedMrz {
  return compositeHolds(lines, layout) ? { lines, repairs } : refuse('composite');
}
