import { byId, fill, formatTime, h, say } from '../shared/dom';
import { messageOf } from '../shared/http';
import { api } from '../shared/officer';

/** A person's records on the ledger, each with its history as a timeline and a revocation form. */

interface RecordView {
  readonly certifier: string;
  readonly kind: string;
  readonly version: number;
  readonly level: number;
  readonly status: string;
  readonly validUntil: string;
}

interface HistoryView {
  readonly txId: string;
  readonly timestamp: string;
  readonly isDelete: boolean;
  readonly record?: RecordView;
}

const REASONS = ['data-changed', 'fraud-suspected', 'person-request', 'certifier-error', 'other'];

function timeline(entries: readonly HistoryView[]): HTMLElement {
  return h(
    'ol',
    { class: 'timeline' },
    ...entries.map((e) =>
      h(
        'li',
        {},
        h('strong', {}, formatTime(e.timestamp)),
        ' ',
        e.record === undefined ? 'deleted' : `version ${e.record.version}, level ${e.record.level}, ${e.record.status}`,
      ),
    ),
  );
}

function revokeForm(personId: string, record: RecordView, n: number): HTMLElement {
  const select = h('select', { id: `revoke-reason-${n}` }, ...REASONS.map((r) => h('option', { value: r }, r)));
  const button = h('button', { type: 'submit', class: 'danger' }, 'Revoke');
  const form = h('form', {}, h('label', { for: `revoke-reason-${n}` }, 'Revocation reason'), ' ', select, ' ', button);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    button.disabled = true;
    void api(`/v1/attestations/${encodeURIComponent(personId)}/${record.kind}/revoke`, {
      body: { reason: select.value },
    })
      .then(() => lookup(personId))
      .then(() => {
        say(byId('message'), 'Revoked.', 'ok');
      })
      .catch((err: unknown) => {
        say(byId('message'), messageOf(err), 'error');
        button.disabled = false;
      });
  });
  return form;
}

export async function lookup(personId: string): Promise<void> {
  const records = await api<RecordView[]>(`/v1/attestations/${encodeURIComponent(personId)}`);
  const blocks = await Promise.all(
    records.map(async (r, n) => {
      const history = await api<HistoryView[]>(
        `/v1/attestations/${encodeURIComponent(personId)}/${r.kind}/history`,
      ).catch(() => []);
      return h(
        'article',
        { class: 'record' },
        h('h3', {}, `${r.kind} — ${r.certifier}`),
        h('p', {}, `version ${r.version}, level ${r.level}, ${r.status}, valid until ${formatTime(r.validUntil)}`),
        timeline(history),
        r.status === 'active' ? revokeForm(personId, r, n) : null,
      );
    }),
  );
  fill(byId('records'), ...(blocks.length === 0 ? [h('p', {}, 'No records for this person.')] : blocks));
}
