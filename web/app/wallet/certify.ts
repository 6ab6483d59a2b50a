import { KycError } from '../../../protocol/src/errors';
import {
  buildEvidence,
  certificationRequest,
  collectionRequest,
  credentialFromApproval,
  type Approval,
  type EvidenceFiles,
} from '../lib/flows';
import type { RegistrationPayload } from '../lib/registration';
import { assertValidClaims } from '../lib/proto';
import { byId, h } from '../shared/dom';
import { json, messageOf } from '../shared/http';
import { addCredential, pendingList, savePending, type PendingCertification, type Wallet } from './state';

/**
 * Certification from the wallet (docs/protocol.md §4): the person's claims, a request signed by their key,
 * the certification pending with its evidence (a photo of the document, a selfie, or the chip's files, sent
 * encrypted to the certifier's key), and the credential collected (and checked) once an officer approved it.
 */

const SUGGESTED = ['given_name', 'family_name', 'birthdate', 'nationality'];

/** The evidence inputs of the form, by role. */
const EVIDENCE_INPUTS = { document: 'doc-photo', selfie: 'selfie', sod: 'chip-sod', dg1: 'chip-dg1', dg2: 'chip-dg2' };

/** The files chosen, read in memory; undefined when none. */
export async function chosenEvidence(): Promise<EvidenceFiles | undefined> {
  const files: EvidenceFiles = {};
  for (const [role, id] of Object.entries(EVIDENCE_INPUTS) as [keyof EvidenceFiles, string][]) {
    const file = (byId(id) as HTMLInputElement).files?.[0];
    if (file !== undefined) files[role] = new Uint8Array(await file.arrayBuffer());
  }
  return Object.keys(files).length === 0 ? undefined : files;
}

/** What the certifier said of the evidence: the level it supports, or why it refused it. */
export type EvidenceOutcome = { readonly supportedLevel: number } | { readonly refused: string };

export function addClaimRow(name = '', value = ''): void {
  const rows = byId('claim-rows');
  const n = rows.children.length + 1;
  rows.append(
    h(
      'div',
      { class: 'claim-row' },
      h('label', { for: `claim-name-${n}` }, 'Detail'),
      h('input', {
        id: `claim-name-${n}`,
        name: 'name',
        value: name,
        autocomplete: 'off',
        pattern: '[a-z][a-z0-9_]{0,63}',
      }),
      h('label', { for: `claim-value-${n}` }, 'Value'),
      h('input', { id: `claim-value-${n}`, name: 'value', value, autocomplete: 'off', maxlength: '1024' }),
    ),
  );
}

export function resetCertifyForm(): void {
  byId('claim-rows').replaceChildren();
  for (const name of SUGGESTED) addClaimRow(name);
  for (const id of Object.values(EVIDENCE_INPUTS)) (byId(id) as HTMLInputElement).value = '';
}

/** The claims entered, NFC, without empty rows. */
export function enteredClaims(): Record<string, string> {
  const claims = new Map<string, string>();
  for (const row of byId('claim-rows').querySelectorAll('.claim-row')) {
    const name = (row.querySelector<HTMLInputElement>('input[name=name]')?.value ?? '').trim();
    const value = (row.querySelector<HTMLInputElement>('input[name=value]')?.value ?? '').trim().normalize('NFC');
    // A suggested detail left empty is not sent.
    if (value === '') continue;
    if (claims.has(name)) throw new KycError('KYC_INVALID_ARGUMENT', `"${name}" is entered twice`);
    claims.set(name, value);
  }
  const result = Object.fromEntries(claims);
  assertValidClaims(result);
  return result;
}

/**
 * Submits the claims, then the evidence if any. The certification stays pending even when the evidence is
 * refused (the outcome says why): an officer may then certify at level 1 only.
 */
export async function submitCertification(
  wallet: Wallet,
  claims: Record<string, string>,
  evidence?: EvidenceFiles,
): Promise<EvidenceOutcome | undefined> {
  const base = wallet.config.certifierUrl;
  const nonce = await json<{ nonce: string; certifier: string; encryptionJwk: RegistrationPayload['enc_jwk'] }>(
    `${base}/v1/certifications/nonce`,
    { body: {} },
  );
  const kind = 'identity';
  const signed = await certificationRequest(wallet.key, nonce.certifier, nonce.nonce, kind, claims);
  const answer = await json<{ id: string }>(`${base}/v1/certifications`, {
    body: { personId: wallet.key.did, kind, claims, claimsSalt: signed.claimsSalt, request: signed.request },
  });
  const pending: PendingCertification = {
    id: answer.id,
    certifierUrl: base,
    certifier: nonce.certifier,
    kind,
    personId: wallet.key.did,
    claimsHash: signed.claimsHash,
    claimsSalt: signed.claimsSalt,
    claimNames: Object.keys(claims),
    requestedAt: new Date().toISOString(),
  };
  await savePending([...(await pendingList()), pending]);
  if (evidence === undefined) return undefined;
  try {
    const jwe = await buildEvidence(wallet.key, nonce.certifier, nonce.encryptionJwk, answer.id, evidence);
    return await json<{ supportedLevel: number }>(`${base}/v1/certifications/${answer.id}/evidence`, {
      body: { jwe },
    });
  } catch (err) {
    return { refused: messageOf(err) };
  }
}

/** Asks for the outcome; stores the credential once approved. Returns the status. */
export async function collect(wallet: Wallet, id: string): Promise<string> {
  const list = await pendingList();
  const pending = list.find((p) => p.id === id);
  if (pending === undefined) throw new KycError('KYC_NOT_FOUND', 'no such pending certification');
  const request = await collectionRequest(wallet.key, pending.certifier, pending.id);
  const answer = await json<Approval & { reason?: string }>(`${pending.certifierUrl}/v1/certifications/collect`, {
    body: { request },
  });
  if (answer.status === 'approved') {
    await addCredential(await credentialFromApproval(pending, answer));
    await savePending(list.filter((p) => p.id !== id));
  } else {
    const updated = {
      ...pending,
      status: answer.status,
      ...(answer.reason === undefined ? {} : { reason: answer.reason }),
    };
    await savePending(list.map((p) => (p.id === id ? updated : p)));
  }
  return answer.status;
}
