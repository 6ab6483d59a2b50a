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
  const fact = (term: string, value: string): HTMLElement[] => [h('dt', {}, term), h('dd', {}, value)];
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
  control('reason', HTMLInputElement).value = '';
  show('review');
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
