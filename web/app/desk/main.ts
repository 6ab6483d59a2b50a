import type { RegistrationReference, StatusEvent } from '../../../protocol/src/http/web-api';
import { byId, control, fill, h, say, show } from '../shared/dom';
import { messageOf } from '../shared/http';
import { api, startOfficerPage } from '../shared/officer';
import { renderUsage } from './usage';

/**
 * The bank desk (docs/web.md): open a registration, show its short QR full screen with the time left, and
 * follow its status live (server-sent events) until the ledger has verified the person; then the verified
 * claims. Every value from the person is set as text.
 */

const CLAIMS = ['given_name', 'family_name', 'birthdate', 'nationality', 'address'];
let events: EventSource | undefined;
let countdown: number | undefined;

function claimTable(): void {
  fill(
    byId('claim-table'),
    ...CLAIMS.map((name, i) =>
      h(
        'tr',
        {},
        h('th', { scope: 'row' }, name),
        h(
          'td',
          {},
          h('input', { type: 'checkbox', name: 'ask', value: name, checked: i < 3, 'aria-label': `ask for ${name}` }),
        ),
        h(
          'td',
          {},
          h('input', {
            type: 'checkbox',
            name: 'required',
            value: name,
            checked: i < 2,
            'aria-label': `${name} required`,
          }),
        ),
      ),
    ),
  );
}

const checked = (name: string): string[] =>
  [...byId('claim-table').querySelectorAll<HTMLInputElement>(`input[name=${name}]:checked`)].map((i) => i.value);

function startCountdown(expiresAt: string): void {
  window.clearInterval(countdown);
  const tick = (): void => {
    const left = Math.max(0, Math.round((Date.parse(expiresAt) - Date.now()) / 1000));
    byId('countdown').textContent =
      left > 0 ? `Expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}` : 'Expired';
    if (left === 0) window.clearInterval(countdown);
  };
  tick();
  countdown = window.setInterval(tick, 1000);
}

const STATUS_TEXT: Readonly<Record<StatusEvent['status'], string>> = {
  pending: 'Waiting for the person…',
  verifying: 'The person presented; checking on the ledger…',
  verified: 'Verified',
  expired: 'This code expired; open a new registration.',
};

function onStatus(event: StatusEvent): void {
  say(
    byId('status'),
    STATUS_TEXT[event.status],
    event.status === 'verified' ? 'ok' : event.status === 'expired' ? 'error' : 'info',
  );
  byId('registration').dataset.status = event.status;
  if (event.status !== 'verified') return;
  window.clearInterval(countdown);
  byId('countdown').textContent = `Level ${event.level ?? '?'} from ${event.certifier ?? '?'}`;
  byId('qr').hidden = true;
  const rows = Object.entries(event.claims ?? {}).map(([name, value]) =>
    h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, value)),
  );
  fill(byId('verified-claims'), ...rows);
  byId('verified').hidden = false;
}

function follow(id: string): void {
  events?.close();
  events = new EventSource(`/v1/registrations/${id}/events`);
  events.addEventListener('status', (e) => {
    const event = JSON.parse((e as MessageEvent<string>).data) as StatusEvent;
    onStatus(event);
    if (event.status === 'verified' || event.status === 'expired') events?.close();
  });
}

async function open(): Promise<void> {
  const created = await api<{ registrationId: string }>('/v1/registrations', {
    body: {
      purpose: control('purpose', HTMLInputElement).value,
      claims: checked('ask'),
      required: checked('required').filter((c) => checked('ask').includes(c)),
      minLevel: Number(control('min-level', HTMLSelectElement).value),
    },
  });
  const reference = await api<RegistrationReference>(`/v1/registrations/${created.registrationId}/reference`);
  const qr = control('qr', HTMLImageElement);
  qr.src = reference.qrPng;
  qr.hidden = false;
  qr.dataset.requestUri = reference.requestUri;
  qr.dataset.version = String(reference.qrVersion);
  byId('verified').hidden = true;
  byId('registration').dataset.registrationId = reference.registrationId;
  startCountdown(reference.expiresAt);
  onStatus({ registrationId: reference.registrationId, status: 'pending' });
  show('registration');
  follow(reference.registrationId);
}

function bind(): void {
  for (const b of document.querySelectorAll<HTMLElement>('[data-go]')) {
    b.addEventListener('click', () => {
      events?.close();
      const screen = b.dataset.go ?? 'open';
      show(screen);
      if (screen === 'usage')
        void renderUsage().catch((err: unknown) => {
          say(byId('message'), messageOf(err), 'error');
        });
    });
  }
  byId('open-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const button = control('open', HTMLButtonElement);
    button.disabled = true;
    void open()
      .catch((err: unknown) => {
        say(byId('message'), messageOf(err), 'error');
      })
      .finally(() => {
        button.disabled = false;
      });
  });
  byId('erase-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const did = control('person-id', HTMLInputElement).value.trim();
    void api<{ forgottenResults: number }>(`/v1/persons/${encodeURIComponent(did)}`, { method: 'DELETE' })
      .then((r) => {
        say(
          byId('erase-result'),
          `Erased: receipts purged on the ledger, ${r.forgottenResults} local results shredded.`,
          'ok',
        );
      })
      .catch((err: unknown) => {
        say(byId('erase-result'), messageOf(err), 'error');
      });
  });
}

void startOfficerPage()
  .then(() => {
    claimTable();
    bind();
    show('open');
    document.body.dataset.ready = 'true';
  })
  .catch(() => undefined);
