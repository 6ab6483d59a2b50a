import { decodeB64u, encodeB64u, fromUtf8, utf8 } from '../lib/b64';
import { didKeyOf } from '../lib/proto';
import type { PersonKey } from '../lib/flows';

/**
 * The wallet's storage in IndexedDB. The person's P-256 key and the AES-GCM key that seals everything personal
 * are WebCrypto keys generated with `extractable: false`: IndexedDB keeps the key objects, and no script
 * (this page's included) can read their bytes. Credentials, pending certifications and the history are stored
 * only as AES-GCM ciphertext under that key.
 */

const DB_NAME = 'kyc-wallet';
const STORE = 'kv';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = (): void => {
      resolve(r.result);
    };
    r.onerror = (): void => {
      reject(r.error ?? new Error('IndexedDB failed'));
    };
  });
}

let opened: Promise<IDBDatabase> | undefined;
function db(): Promise<IDBDatabase> {
  opened ??= new Promise((resolve, reject) => {
    const open = indexedDB.open(DB_NAME, 1);
    open.onupgradeneeded = (): void => {
      open.result.createObjectStore(STORE);
    };
    open.onsuccess = (): void => {
      resolve(open.result);
    };
    open.onerror = (): void => {
      reject(open.error ?? new Error('this browser keeps no wallet storage (IndexedDB)'));
    };
  });
  return opened;
}

async function get<T>(key: string): Promise<T | undefined> {
  const store = (await db()).transaction(STORE, 'readonly').objectStore(STORE);
  return (await request(store.get(key))) as T | undefined;
}

async function put(key: string, value: unknown): Promise<void> {
  const store = (await db()).transaction(STORE, 'readwrite').objectStore(STORE);
  await request(store.put(value, key));
}

interface StoredKey {
  readonly did: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly createdAt: string;
}

/** The person's key, created on first use (non-extractable). */
export async function personKey(): Promise<PersonKey> {
  const stored = await get<StoredKey>('personKey');
  if (stored !== undefined) return stored;
  const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const key: StoredKey = {
    did: await didKeyOf(pair.publicKey),
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    createdAt: new Date().toISOString(),
  };
  await put('personKey', key);
  return key;
}

/** Device loss or a compromised key: a new key replaces the old one (docs/web.md, "Device loss"). */
export async function replaceKey(): Promise<PersonKey> {
  const store = (await db()).transaction(STORE, 'readwrite').objectStore(STORE);
  await request(store.delete('personKey'));
  await put('credentials', undefined);
  return personKey();
}

async function sealingKey(): Promise<CryptoKey> {
  const stored = await get<CryptoKey>('sealingKey');
  if (stored !== undefined) return stored;
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  await put('sealingKey', key);
  return key;
}

interface Sealed {
  readonly iv: string;
  readonly data: string;
}

/** Reads a sealed value (a list), or [] when none is stored. */
export async function readSealed<T>(name: 'credentials' | 'pending' | 'history'): Promise<T[]> {
  const key = await sealingKey();
  const sealed = await get<Sealed>(name);
  if (sealed === undefined) return [];
  const iv = decodeB64u(sealed.iv);
  const data = decodeB64u(sealed.data);
  if (iv === undefined || data === undefined) return [];
  const plain = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, key, data);
  return JSON.parse(fromUtf8(new Uint8Array(plain))) as T[];
}

export async function writeSealed(
  name: 'credentials' | 'pending' | 'history',
  value: readonly unknown[],
): Promise<void> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, await sealingKey(), utf8(JSON.stringify(value)));
  await put(name, { iv: encodeB64u(iv), data: encodeB64u(new Uint8Array(data)) } satisfies Sealed);
}
