import { byId, control, fill, formatTime, h, say, show } from '../shared/dom';
import { messageOf } from '../shared/http';
import { api, startOfficerPage } from '../shared/officer';
import { lookup } from './records';

/**
 * The certifier console (docs/web.md): the queue of pending certifications, a review of one (claims as text:
 * they are the person's input), approve with a level or reject with a reason; and a person's records with
 * their history and revocation (records.ts).
 */

export interface Certification {
  readonly id: string;
  readonly status: string;
  readonly kind: string;
  readonly personId: string;
  readonly submittedAt: string;
  readonly claims?: Readonly<Record<string, string>>;
  /** The highest level the evidence supports (1 without evidence). */
  readonly supportedLevel?: number;
  readonly evidence?: Evidence;
}

/** What the intake engine saw (docs/intake.md §4), as the officer sees it. */
interface Evidence {
  readonly ocr?: {
    readonly format: string;
    readonly fields?: Readonly<Record<string, string>>;
    readonly checkDigitsValid: boolean;
    readonly repairs: readonly { field: string; reason: string; from?: string; to?: string }[];
  };
  readonly chip?: {
    readonly passiveAuthentication: boolean;
    readonly signer: { subject: string; issuer: string };
    readonly fields?: Readonly<Record<string, string>>;
  };
  readonly face?: {
    readonly against: string;
    readonly distance: number;
    readonly threshold: number;
    readonly match: boolean;
    readonly liveness?: { readonly antispoof: number; readonly liveness: number; readonly note: string };
  };
}

let reviewing: Certification | undefined;

async function renderQueue(): Promise<void> {
  const list = await api<Certification[]>('/v1/certifications?status=pending');
  fill(
    byId('queue'),
    ...(list.length === 0 ? [h('tr', {}, h('td', { colspan: '4' }, 'No pending requests.'))] : []),
    ...list.map((c) =>
      h(
        'tr',
        {},
        h('td', {}, formatTime(c.submittedAt)),
        h('td', {}, c.kind),
        h('td', {}, h('code', {}, c.personId)),
        h('td', {}, h('button', { type: 'button', 'data-review': c.id }, 'Review')),
      ),
    ),
  );
  byId('queue').onclick = (e): void => {
    const id = (e.target as HTMLElement).dataset.review;
    const found = list.find((c) => c.id === id);
    if (found !== undefined) review(found);
  };
  show('queue');
}

function review(c: Certification): void {
  reviewing = c;
  fill(
    byId('review-facts'),
    ...fact('Person', c.personId),
    ...fact('Kind', c.kind),
    ...fact('Submitted', formatTime(c.submittedAt)),
  );
  fill(
    byId('review-claims'),
    ...Object.entries(c.claims ?? {}).map(([name, value]) =>
      h('tr', {}, h('th', { scope: 'row' }, name), h('td', { class: 'claim-value' }, value)),
    ),
  );
  renderEvidence(c);
  control('reason', HTMLInputElement).value = '';
  show('review');
}

/** The evidence beside the claims, differences marked, and the level choice capped by what it supports. */
function renderEvidence(c: Certification): void {
  const rows = readRows(c);
  fill(byId('review-evidence'), ...evidenceFacts(c));
  fill(byId('review-read'), ...rows);
  byId('review-read-table').hidden = rows.length === 0;
  const level = c.supportedLevel ?? 1;
  const select = control('level', HTMLSelectElement);
  for (const option of select.options) option.disabled = Number(option.value) > level;
  select.value = String(level);
}

const normalised = (v: string | undefined): string => (v ?? '').trim().replace(/\s+/g, ' ').toUpperCase();

/** Each field read (chip, else OCR) beside what the person entered. */
function readRows(c: Certification): HTMLElement[] {
  const read = c.evidence?.chip?.fields ?? c.evidence?.ocr?.fields ?? {};
  const claims = c.claims ?? {};
  return Object.entries(read).map(([name, value]) => {
    const entered = Object.hasOwn(claims, name) ? claims[name] : undefined;
    const differs = entered !== undefined && normalised(entered) !== normalised(value);
    const note = entered === undefined ? '—' : differs ? `${entered} (differs)` : 'same';
    return h(
      'tr',
      differs ? { class: 'differs' } : {},
      h('th', { scope: 'row' }, name),
      h('td', {}, value),
      h('td', {}, note),
    );
  });
}

function evidenceFacts(c: Certification): HTMLElement[] {
  const facts = [...ocrFacts(c.evidence?.ocr), ...chipFacts(c.evidence?.chip), ...faceFacts(c.evidence?.face)];
  const none = c.evidence === undefined ? ' (no document was sent)' : '';
  return [...facts, ...fact('Evidence supports', `level ${String(c.supportedLevel ?? 1)}${none}`)];
}

const fact = (term: string, value: string): HTMLElement[] => [h('dt', {}, term), h('dd', {}, value)];

function ocrFacts(ocr: Evidence['ocr']): HTMLElement[] {
  if (ocr === undefined) return [];
  const repairs = ocr.repairs.map((r) => `${r.field} (${r.reason})`).join(', ');
  return [
    ...fact('Document (OCR)', `${ocr.format}, check digits ${ocr.checkDigitsValid ? 'valid' : 'NOT valid'}`),
    ...fact('Repairs (check them on the photo)', repairs === '' ? 'none' : repairs),
  ];
}

function chipFacts(chip: Evidence['chip']): HTMLElement[] {
  if (chip === undefined) return [];
  const state = chip.passiveAuthentication ? 'passive authentication passed' : 'NOT authenticated';
  return fact('Chip', `${state}; signer ${chip.signer.subject}`);
}

function faceFacts(face: Evidence['face']): HTMLElement[] {
  if (face === undefined) return [];
  const portrait = face.against === 'dg2' ? 'chip portrait' : 'document photo';
  const distance = `distance ${face.distance.toFixed(3)} (threshold ${String(face.threshold)})`;
  const { liveness } = face;
  return [
    ...fact('Face', `${face.match ? 'match' : 'NO match'} against the ${portrait}: ${distance}`),
    ...(liveness === undefined
      ? fact('Liveness', 'no score (the liveness model found no face)')
      : fact(
          'Liveness (passive)',
          `anti-spoof ${liveness.antispoof.toFixed(2)}, liveness ${liveness.liveness.toFixed(2)}: ${liveness.note}`,
        )),
  ];
}

async function decide(path: 'approve' | 'reject', body: Record<string, unknown>): Promise<void> {
  const current = reviewing;
  if (current === undefined) return;
  await api(`/v1/certifications/${current.id}/${path}`, { body });
  reviewing = undefined;
  say(byId('message'), path === 'approve' ? 'Approved: the commitment is on the ledger.' : 'Rejected.', 'ok');
  await renderQueue();
}

function onSubmit(id: string, buttonId: string, action: () => Promise<void>): void {
  byId(id).addEventListener('submit', (e) => {
    e.preventDefault();
    const button = control(buttonId, HTMLButtonElement);
    button.disabled = true;
    void action()
      .catch((err: unknown) => {
        say(byId('message'), messageOf(err), 'error');
      })
      .finally(() => {
        button.disabled = false;
      });
  });
}

function bind(): void {
  for (const b of document.querySelectorAll<HTMLElement>('[data-go]')) {
    b.addEventListener('click', () => {
      if (b.dataset.go === 'queue')
        void renderQueue().catch((err: unknown) => {
          say(byId('message'), messageOf(err), 'error');
        });
      else show(b.dataset.go ?? 'queue');
    });
  }
  onSubmit('approve-form', 'approve', () =>
    decide('approve', { level: Number(control('level', HTMLSelectElement).value) }),
  );
  onSubmit('reject-form', 'reject', () => decide('reject', { reason: control('reason', HTMLInputElement).value }));
  byId('lookup-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void lookup(control('lookup-did', HTMLInputElement).value.trim()).catch((err: unknown) => {
      say(byId('message'), messageOf(err), 'error');
    });
  });
}

void startOfficerPage()
  .then(async () => {
    bind();
    await renderQueue();
    document.body.dataset.ready = 'true';
  })
  .catch(() => undefined);
