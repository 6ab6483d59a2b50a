import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { HsmError, type HsmToken } from '../../gateway/src/hsm';
import type { JsonObject } from './types';
import { StoreError } from './errors';

/**
 * Envelope encryption of a record's personal fields (docs/storage.md):
 *
 * - each record gets a fresh 32-byte data key (DEK); each personal field is AES-256-GCM encrypted under it in
 *   software with a fresh IV and associated data `kyc-store/v1|field|<table>|<id>|<field>`, so a ciphertext
 *   moved to another record or field does not decrypt;
 * - the DEK is encrypted ("wrapped") inside the HSM with CKM_AES_GCM under the key-encryption key (KEK), with
 *   associated data `kyc-store/v1|dek|<table>|<id>`, and stored as `iv || ciphertext || tag` next to the KEK id;
 * - the KEK never leaves the token; the DEK exists in this process only while a record is being read or written.
 */

/** The columns that hold a record's personal fields. */
export interface SealedColumns {
  readonly sealed: string | null;
  readonly kekId: string | null;
  readonly dek: Buffer | null;
}

/** How personal fields are kept: encrypted under an HSM KEK, or (tests, benchmarks) as plain JSON. */
export interface Envelope {
  readonly encrypted: boolean;
  /** Seals `fields` of record `table/id`, under the record's DEK when `existing` has one, else a new DEK. */
  seal(table: string, id: string, fields: JsonObject, existing?: SealedColumns): Promise<SealedColumns>;
  /** The personal fields; undefined when the record has none. */
  open(table: string, id: string, columns: SealedColumns): Promise<JsonObject | undefined>;
}

const VERSION = 'kyc-store/v1';
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const DEK_LENGTH = 32;

const fieldAad = (table: string, id: string, field: string): Buffer =>
  Buffer.from(`${VERSION}|field|${table}|${id}|${field}`, 'utf8');
/** Exported for rotation, which re-wraps DEKs under the same associated data. */
export const dekAad = (table: string, id: string): Buffer => Buffer.from(`${VERSION}|dek|${table}|${id}`, 'utf8');

function tampered(what: string, cause?: unknown): StoreError {
  return new StoreError('STORE_TAMPERED', `${what} failed authentication (altered, or moved from another record)`, {
    cause,
  });
}

/** Personal fields as plain JSON: for tests and benchmarks that measure the store without the HSM. */
export const PLAINTEXT_ENVELOPE: Envelope = {
  encrypted: false,
  seal: (_table, _id, fields, existing) => {
    if (existing?.kekId != null) {
      // Merging plaintext into an encrypted record would corrupt it.
      return Promise.reject(
        new StoreError('STORE_HSM_UNAVAILABLE', 'the record is encrypted; open the store with its HSM key'),
      );
    }
    const merged = { ...parseJson(existing?.sealed ?? null, 'personal fields'), ...fields };
    return Promise.resolve({ sealed: JSON.stringify(merged), kekId: null, dek: null });
  },
  open: (_table, _id, columns) => {
    if (columns.kekId !== null || columns.dek !== null) {
      return Promise.reject(
        new StoreError('STORE_HSM_UNAVAILABLE', 'the record is encrypted; open the store with its HSM key'),
      );
    }
    return Promise.resolve(columns.sealed === null ? undefined : parseJson(columns.sealed, 'personal fields'));
  },
};

function parseJson(text: string | null, what: string): JsonObject {
  if (text === null) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  } catch (cause) {
    throw new StoreError('STORE_TAMPERED', `${what} are not valid JSON`, { cause });
  }
  throw new StoreError('STORE_TAMPERED', `${what} are not a JSON object`);
}

function encryptField(dek: Buffer, aad: Buffer, value: unknown): string {
  const iv = randomBytes(IV_LENGTH);
  const cipher = createCipheriv('aes-256-gcm', dek, iv).setAAD(aad);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${iv.toString('base64url')}.${body.toString('base64url')}`;
}

function decryptField(dek: Buffer, aad: Buffer, sealed: unknown): JsonObject[string] {
  const [ivText, bodyText, extra] = typeof sealed === 'string' ? sealed.split('.') : [];
  if (ivText === undefined || bodyText === undefined || extra !== undefined) throw tampered('a personal field');
  const iv = Buffer.from(ivText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (iv.length !== IV_LENGTH || body.length < TAG_LENGTH) throw tampered('a personal field');
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, iv).setAAD(aad);
    decipher.setAuthTag(body.subarray(body.length - TAG_LENGTH));
    const text = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_LENGTH)), decipher.final()]);
    return JSON.parse(text.toString('utf8')) as JsonObject[string];
  } catch (cause) {
    throw tampered('a personal field', cause);
  }
}

/** Return values with which a token reports a GCM tag mismatch (SoftHSM: CKR_GENERAL_ERROR). */
const TAG_FAILURE = new Set([
  'CKR_GENERAL_ERROR',
  'CKR_ENCRYPTED_DATA_INVALID',
  'CKR_ENCRYPTED_DATA_LEN_RANGE',
  'CKR_AEAD_DECRYPT_FAILED',
]);

/** Maps an HSM failure while (un)wrapping a data key to the store's terms. */
export function fromHsmError(error: unknown, kekId: string, unwrapping: boolean): unknown {
  if (!(error instanceof HsmError)) return error;
  if (error.code === 'HSM_KEY_NOT_FOUND') {
    return new StoreError('STORE_KEY_MISSING', `the key-encryption key ${kekId} is not on the token`, { cause: error });
  }
  if (unwrapping && error.code === 'HSM_OPERATION_FAILED' && TAG_FAILURE.has(error.returnValue ?? '')) {
    return tampered('a wrapped data key', error);
  }
  if (error.code === 'HSM_INVALID_ARGUMENT') return tampered('a wrapped data key', error);
  return new StoreError('STORE_HSM_UNAVAILABLE', `HSM token '${error.tokenLabel ?? '?'}' is not available`, {
    cause: error,
  });
}

/** Unwraps a stored DEK (`iv || ciphertext || tag`) in the HSM. */
export async function unwrapDek(token: HsmToken, kekId: string, wrapped: Buffer, aad: Buffer): Promise<Buffer> {
  if (wrapped.length !== IV_LENGTH + DEK_LENGTH + TAG_LENGTH) throw tampered('a wrapped data key');
  try {
    const dek = await token.decryptAesGcm(
      kekId,
      { iv: wrapped.subarray(0, IV_LENGTH), ciphertext: wrapped.subarray(IV_LENGTH) },
      aad,
    );
    if (dek.length !== DEK_LENGTH) throw tampered('a wrapped data key');
    return dek;
  } catch (error) {
    throw fromHsmError(error, kekId, true);
  }
}

/** Wraps a DEK under the KEK in the HSM; returns `iv || ciphertext || tag`. */
export async function wrapDek(token: HsmToken, kekId: string, dek: Buffer, aad: Buffer): Promise<Buffer> {
  try {
    const { iv, ciphertext } = await token.encryptAesGcm(kekId, dek, aad);
    return Buffer.concat([iv, ciphertext]);
  } catch (error) {
    throw fromHsmError(error, kekId, false);
  }
}

/** The encrypted envelope: `currentKek()` names the KEK new data keys are wrapped under. */
export class HsmEnvelope implements Envelope {
  readonly encrypted = true;
  readonly #token: HsmToken;
  readonly #currentKek: () => Promise<string>;

  constructor(token: HsmToken, currentKek: () => Promise<string>) {
    this.#token = token;
    this.#currentKek = currentKek;
  }

  async seal(table: string, id: string, fields: JsonObject, existing?: SealedColumns): Promise<SealedColumns> {
    const previous = parseJson(existing?.sealed ?? null, 'sealed fields');
    let kekId = existing?.kekId ?? null;
    let wrapped = existing?.dek ?? null;
    let dek: Buffer;
    if (kekId !== null && wrapped !== null) {
      dek = await unwrapDek(this.#token, kekId, wrapped, dekAad(table, id));
    } else {
      dek = randomBytes(DEK_LENGTH);
      kekId = await this.#currentKek();
      wrapped = await wrapDek(this.#token, kekId, dek, dekAad(table, id));
    }
    try {
      // fromEntries makes own properties, so a field named like `__proto__` is just a field.
      const sealed = Object.fromEntries(
        Object.entries(fields).map(([field, value]) => [field, encryptField(dek, fieldAad(table, id, field), value)]),
      );
      return { sealed: JSON.stringify({ ...previous, ...sealed }), kekId, dek: wrapped };
    } finally {
      dek.fill(0);
    }
  }

  async open(table: string, id: string, columns: SealedColumns): Promise<JsonObject | undefined> {
    if (columns.sealed === null) return undefined;
    if (columns.kekId === null || columns.dek === null) {
      // Personal fields without a data key: written without encryption, or the key was shredded.
      throw new StoreError('STORE_TAMPERED', `record ${table}/${id} has personal fields but no data key`);
    }
    const sealed = parseJson(columns.sealed, 'sealed fields');
    const dek = await unwrapDek(this.#token, columns.kekId, columns.dek, dekAad(table, id));
    try {
      return Object.fromEntries(
        Object.entries(sealed).map(([field, value]) => [field, decryptField(dek, fieldAad(table, id, field), value)]),
      );
    } finally {
      dek.fill(0);
    }
  }
}
