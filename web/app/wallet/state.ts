import type { WalletConfig } from '../../../protocol/src/http/web-api';
import type { Credential, PersonKey } from '../lib/flows';
import { json } from '../shared/http';
import { personKey, readSealed, writeSealed } from './db';

/** What the wallet holds: its key, the configuration, and the sealed lists. */

export interface PendingCertification {
  readonly id: string;
  readonly certifierUrl: string;
  readonly certifier: string;
  readonly kind: string;
  readonly personId: string;
  readonly claimsHash: string;
  readonly claimsSalt: string;
  readonly claimNames: readonly string[];
  readonly requestedAt: string;
  readonly status?: string;
  readonly reason?: string;
}

export interface HistoryEntry {
  readonly at: string;
  readonly bank: string;
  readonly purpose: string;
  readonly claims: readonly string[];
  readonly outcome: string;
}

export interface Wallet {
  readonly key: PersonKey;
  readonly config: WalletConfig;
}

/** The configuration beside the page (the service worker keeps a copy for offline use). */
export async function loadWallet(): Promise<Wallet> {
  const [key, config] = await Promise.all([personKey(), json<WalletConfig>('config.json')]);
  return { key, config };
}

export const credentials = (): Promise<Credential[]> => readSealed<Credential>('credentials');
export const pendingList = (): Promise<PendingCertification[]> => readSealed<PendingCertification>('pending');
export const history = (): Promise<HistoryEntry[]> => readSealed<HistoryEntry>('history');

export async function addCredential(credential: Credential): Promise<void> {
  const list = (await credentials()).filter(
    (c) => !(c.certifier === credential.certifier && c.kind === credential.kind),
  );
  await writeSealed('credentials', [...list, credential]);
}

export async function savePending(list: readonly PendingCertification[]): Promise<void> {
  await writeSealed('pending', list);
}

export async function addHistory(entry: HistoryEntry): Promise<void> {
  await writeSealed('history', [entry, ...(await history())].slice(0, 200));
}
