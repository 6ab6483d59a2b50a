/**
 * Where the check-digit-protected fields sit in each format (ICAO 9303 parts 4 and 5). Positions are
 * [line, start, end) on the MRZ lines; `kind` says which characters the field may hold, which drives repairs.
 */
export type MrzFormat = 'TD1' | 'TD3';

export type CharKind = 'digit' | 'alpha' | 'alnum' | 'sex' | 'filler-alpha';

export interface Span {
  readonly line: number;
  readonly start: number;
  readonly end: number;
}

export interface CheckedField {
  readonly name: string;
  readonly span: Span;
  readonly kind: 'digit' | 'alnum';
  readonly check: Span;
}

export interface FormatLayout {
  readonly format: MrzFormat;
  readonly lines: number;
  readonly length: number;
  readonly checked: readonly CheckedField[];
  /** The composite check digit and the spans it covers, in order. */
  readonly composite: { readonly check: Span; readonly covers: readonly Span[] };
  /** Spans that may hold letters (and `<`) only: state codes, names. */
  readonly alpha: readonly Span[];
  readonly sex: Span;
  /** Fields padded with `<` on the right: names and optional data. */
  readonly padded: readonly Span[];
}

const span = (line: number, start: number, end: number): Span => ({ line, start, end });

export const TD3: FormatLayout = {
  format: 'TD3',
  lines: 2,
  length: 44,
  checked: [
    { name: 'document_number', span: span(1, 0, 9), kind: 'alnum', check: span(1, 9, 10) },
    { name: 'birthdate', span: span(1, 13, 19), kind: 'digit', check: span(1, 19, 20) },
    { name: 'document_expiry', span: span(1, 21, 27), kind: 'digit', check: span(1, 27, 28) },
    { name: 'personal_number', span: span(1, 28, 42), kind: 'alnum', check: span(1, 42, 43) },
  ],
  composite: { check: span(1, 43, 44), covers: [span(1, 0, 10), span(1, 13, 20), span(1, 21, 43)] },
  alpha: [span(0, 0, 1), span(0, 2, 44), span(1, 10, 13)],
  sex: span(1, 20, 21),
  padded: [span(0, 5, 44), span(1, 28, 42)],
};

export const TD1: FormatLayout = {
  format: 'TD1',
  lines: 3,
  length: 30,
  checked: [
    { name: 'document_number', span: span(0, 5, 14), kind: 'alnum', check: span(0, 14, 15) },
    { name: 'birthdate', span: span(1, 0, 6), kind: 'digit', check: span(1, 6, 7) },
    { name: 'document_expiry', span: span(1, 8, 14), kind: 'digit', check: span(1, 14, 15) },
  ],
  composite: { check: span(1, 29, 30), covers: [span(0, 5, 30), span(1, 0, 7), span(1, 8, 15), span(1, 18, 29)] },
  alpha: [span(0, 0, 1), span(0, 2, 5), span(1, 15, 18), span(2, 0, 30)],
  sex: span(1, 7, 8),
  padded: [span(0, 15, 30), span(1, 18, 29), span(2, 0, 30)],
};

export function layoutFor(lineCount: number): FormatLayout | undefined {
  if (lineCount === TD3.lines) {
    return TD3;
  }
  return lineCount === TD1.lines ? TD1 : undefined;
}

export function read(lines: readonly string[], at: Span): string {
  return (lines[at.line] ?? '').slice(at.start, at.end);
}
