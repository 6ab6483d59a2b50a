import { KycError } from '../../../protocol/src/errors';
import { buildPresentation, credentialClaims, type Credential } from '../lib/flows';
import { parseReference, verifyRegistration, type VerifiedRegistration } from '../lib/registration';
import { byId, fill, formatTime, h } from '../shared/dom';
import { json, send } from '../shared/http';
import { addHistory, credentials, type Wallet } from './state';

/**
 * Presenting to a bank: the scanned reference, the fetched and verified request, the consent screen (who asks,
 * why, at which level, for which claims) and the encrypted presentation of the claims the person kept.
 */

export interface Offer {
  readonly registration: VerifiedRegistration;
  readonly credential: Credential;
  readonly bankName: string;
}

const LEVELS: Readonly<Record<number, string>> = { 1: 'low', 2: 'substantial', 3: 'high' };

/**
 * From the QR text to a verified offer; nothing is sent to the bank but the fetch of its request.
 *
 * @throws KycError with a message for the person when the QR, the request, its signature or chain is wrong.
 */
export async function readOffer(wallet: Wallet, scanned: string): Promise<Offer> {
  const reference = parseReference(scanned);
  const response = await send(reference.requestUri, { timeoutMs: 10_000 });
  const registration = await verifyRegistration(await response.text(), reference, wallet.config.trust);
  const wanted = registration.payload.claims;
  const usable = (await credentials())
    .filter((c) => c.personId === wallet.key.did && c.level >= registration.payload.min_level)
    .filter((c) => Date.parse(c.validUntil) > Date.now());
  const credential = usable.find((c) => wanted.some((name) => credentialClaims(c).has(name)));
  if (credential === undefined) {
    throw new KycError('KYC_NOT_FOUND', 'you hold no credential of the level this bank asks for; get certified first');
  }
  const bankName = registration.signer.O ?? registration.payload.iss;
  return { registration, credential, bankName };
}

export function renderConsent(offer: Offer): void {
  const { payload, signer } = offer.registration;
  byId('bank-name').textContent = offer.bankName;
  const fact = (term: string, value: string): HTMLElement[] => [h('dt', {}, term), h('dd', {}, value)];
  fill(
    byId('consent-facts'),
    ...fact('Bank', `${offer.bankName} (${payload.iss})`),
    ...fact('Signed by', signer.CN ?? '—'),
    ...fact('Purpose', payload.purpose),
    ...fact('Minimum level', `${payload.min_level} (${LEVELS[payload.min_level] ?? ''})`),
    ...fact('Your credential', `${offer.credential.certifier}, level ${offer.credential.level}`),
    ...fact('Code valid until', formatTime(new Date(payload.exp * 1000).toISOString())),
  );
  const held = credentialClaims(offer.credential);
  fill(
    byId('consent-claims'),
    ...payload.claims.map((name, i) => {
      const value = held.get(name)?.value;
      const id = `consent-claim-${i}`;
      return h(
        'div',
        { class: 'claim-choice' },
        h('input', {
          type: 'checkbox',
          id,
          name: 'claim',
          value: name,
          checked: value !== undefined,
          disabled: value === undefined,
        }),
        h(
          'label',
          { for: id },
          h('span', { class: 'claim-name' }, name),
          ' ',
          h('span', { class: 'claim-value' }, value ?? '(not in your credential)'),
        ),
      );
    }),
  );
}

export function chosenClaims(): string[] {
  return [...byId('consent-claims').querySelectorAll<HTMLInputElement>('input[name=claim]:checked')].map(
    (i) => i.value,
  );
}

interface BankAnswer {
  readonly status: string;
  readonly claims: readonly string[];
  readonly level: number;
}

/** Sends the chosen claims; records the outcome in the history either way. */
export async function present(wallet: Wallet, offer: Offer, chosen: readonly string[]): Promise<BankAnswer> {
  const { payload } = offer.registration;
  const entry = { at: new Date().toISOString(), bank: offer.bankName, purpose: payload.purpose, claims: chosen };
  const jwe = await buildPresentation(wallet.key, payload, offer.credential, chosen);
  try {
    const answer = await json<BankAnswer>(payload.endpoint, { raw: { text: jwe, contentType: 'application/jose' } });
    await addHistory({ ...entry, outcome: 'verified' });
    return answer;
  } catch (err) {
    await addHistory({ ...entry, outcome: `refused: ${err instanceof KycError ? err.code : 'error'}` });
    throw err;
  }
}
