import { byId, control, fill, formatTime, h, say, show } from '../shared/dom';
import { messageOf } from '../shared/http';
import { addClaimRow, chosenEvidence, collect, enteredClaims, resetCertifyForm, submitCertification } from './certify';
import { replaceKey } from './db';
import { chosenClaims, present, readOffer, renderConsent, type Offer } from './present';
import { CameraScanner, decodeImageFile } from './scan';
import { credentials, history, loadWallet, pendingList, type Wallet } from './state';

/**
 * The person's wallet (docs/web.md): one page, a few screens. Every failure is shown as a message and leaves
 * the wallet where it was; nothing is sent to a bank before the person presses "Share selected".
 */

const message = (): HTMLElement => byId('message');
const scanner = new CameraScanner();
let wallet: Wallet;
let offer: Offer | undefined;

async function renderHome(): Promise<void> {
  byId('did').textContent = wallet.key.did;
  const creds = await credentials();
  fill(
    byId('credentials'),
    ...(creds.length === 0 ? [h('li', {}, 'None yet: get certified first.')] : []),
    ...creds.map((c) =>
      h(
        'li',
        {},
        h('strong', {}, `${c.kind} — ${c.certifier}`),
        h('span', {}, `level ${c.level}, valid until ${formatTime(c.validUntil)}`),
        h('span', {}, `${c.disclosures.length} certified details`),
      ),
    ),
  );
  const pending = await pendingList();
  fill(
    byId('pending'),
    ...(pending.length === 0 ? [h('li', {}, 'Nothing pending.')] : []),
    ...pending.map((p) => {
      const button = h('button', { type: 'button', 'data-collect': p.id }, 'Check and collect');
      const status = p.status === undefined ? 'pending' : `${p.status}${p.reason === undefined ? '' : `: ${p.reason}`}`;
      return h(
        'li',
        {},
        h('strong', {}, `${p.kind} — ${p.certifier}`),
        h('span', {}, `asked ${formatTime(p.requestedAt)}, ${status}`),
        button,
      );
    }),
  );
  show('home');
}

async function guarded(action: () => Promise<void>, button?: HTMLButtonElement): Promise<void> {
  if (button !== undefined) button.disabled = true;
  try {
    await action();
  } catch (err) {
    say(message(), messageOf(err), 'error');
  } finally {
    if (button !== undefined) button.disabled = false;
  }
}

/** Counts codes read, so a late camera refusal never overwrites the verdict on a code already read. */
let codesRead = 0;

async function onScanned(text: string): Promise<void> {
  codesRead++;
  say(byId('scan-state'), 'Checking the bank’s request…');
  try {
    offer = await readOffer(wallet, text);
    renderConsent(offer);
    say(message(), '');
    show('consent');
  } catch (err) {
    // The wallet stays on the scanner: nothing was sent.
    say(byId('scan-state'), `This code cannot be used: ${messageOf(err)}`, 'error');
  }
}

async function startScan(): Promise<void> {
  show('scan');
  say(byId('scan-state'), 'Point the camera at the QR code on the bank’s screen.');
  const before = codesRead;
  try {
    await scanner.start(control('camera', HTMLVideoElement), (text) => void onScanned(text));
  } catch {
    if (codesRead !== before) return;
    say(
      byId('scan-state'),
      'The camera is not available (refused or absent). Choose a photo of the code instead.',
      'error',
    );
  }
}

async function share(): Promise<void> {
  const current = offer;
  if (current === undefined) return;
  offer = undefined; // one submission per consent
  const answer = await present(wallet, current, chosenClaims());
  fill(
    byId('result'),
    h('p', { class: 'message ok', role: 'status' }, `${current.bankName} confirmed your identity.`),
    h('p', {}, `Shared: ${answer.claims.join(', ')} (level ${answer.level}).`),
  );
  show('result');
}

async function renderHistory(): Promise<void> {
  const entries = await history();
  fill(
    byId('history'),
    ...(entries.length === 0 ? [h('li', {}, 'Nothing shared yet.')] : []),
    ...entries.map((e) =>
      h(
        'li',
        {},
        h('strong', {}, e.bank),
        h('span', {}, e.purpose),
        h('span', {}, `${e.claims.join(', ')} — ${e.outcome}`),
        h('span', {}, formatTime(e.at)),
      ),
    ),
  );
  show('history');
}

async function sendCertification(): Promise<void> {
  const outcome = await submitCertification(wallet, enteredClaims(), await chosenEvidence());
  await renderHome();
  if (outcome !== undefined && 'refused' in outcome) {
    // Sent, but the document was refused: say why, so the person can try again with a better photo.
    say(message(), `Sent, but your document was not accepted: ${outcome.refused}`, 'error');
  } else {
    const level = outcome === undefined ? '' : ` Your document was checked: level ${String(outcome.supportedLevel)}.`;
    say(message(), `Sent. A certification officer will check your details.${level}`, 'ok');
  }
}

function bind(): void {
  byId('go-scan').addEventListener('click', () => void startScan());
  byId('go-certify').addEventListener('click', () => {
    resetCertifyForm();
    show('certify');
  });
  byId('go-history').addEventListener('click', () => void guarded(renderHistory));
  byId('add-claim').addEventListener('click', () => {
    addClaimRow();
  });
  for (const b of document.querySelectorAll('[data-home]')) {
    b.addEventListener('click', () => {
      scanner.stop();
      offer = undefined;
      void guarded(renderHome);
    });
  }
  byId('certify-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const button = (e.target as HTMLFormElement).querySelector<HTMLButtonElement>('button[type=submit]') ?? undefined;
    void guarded(sendCertification, button);
  });
  byId('pending').addEventListener('click', (e) => {
    const id = (e.target as HTMLElement).dataset.collect;
    if (id !== undefined) {
      void guarded(async () => {
        const status = await collect(wallet, id);
        say(
          message(),
          status === 'approved' ? 'Your credential is in the wallet.' : `Your certification is ${status}.`,
          'ok',
        );
        await renderHome();
      });
    }
  });
  byId('qr-file').addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file === undefined) return;
    void decodeImageFile(file).then(async (text) => {
      if (text === undefined) say(byId('scan-state'), 'No QR code found in this picture.', 'error');
      else await onScanned(text);
    });
  });
  byId('consent-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void guarded(share, control('share', HTMLButtonElement));
  });
  byId('new-key').addEventListener('click', () => {
    void guarded(async () => {
      wallet = { ...wallet, key: await replaceKey() };
      say(message(), 'A new key is ready. Get certified again, and ask the certifier to revoke the old record.', 'ok');
      await renderHome();
    });
  });
}

async function start(): Promise<void> {
  bind();
  if ('serviceWorker' in navigator) void navigator.serviceWorker.register('sw.js').catch(() => undefined);
  wallet = await loadWallet();
  await renderHome();
  document.body.dataset.ready = 'true';
}

void start().catch((err: unknown) => {
  say(message(), `The wallet cannot start: ${messageOf(err)}`, 'error');
});
