import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { didKeyFromPublicKey, KycError, type Es256Signer } from '../../protocol/src';
import { createPrivateFile, isReadableByOthers, readFileCapped } from './files';

/** The person's key file inside the wallet directory: PKCS#8 PEM, mode 0600. */
export const KEY_FILE = 'key.pem';
const MAX_KEY_FILE_BYTES = 16 * 1024;

/**
 * The person's P-256 key as the rest of the wallet uses it: the private key never leaves this object, only a
 * signing function does.
 */
export interface PersonKey {
  /** did:key of the public key: the person's id on the ledger. */
  readonly did: string;
  readonly publicKey: KeyObject;
  /** ES256 over `data`; returns IEEE P1363 `r || s`. */
  readonly sign: Es256Signer;
}

/**
 * Wraps a P-256 private key.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when the key is not a P-256 private key.
 */
export function personKeyFromPrivateKey(privateKey: KeyObject): PersonKey {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new KycError('KYC_INVALID_ARGUMENT', 'the person key must be a P-256 private key');
  }
  const publicKey = createPublicKey(privateKey);
  return {
    did: didKeyFromPublicKey(publicKey),
    publicKey,
    sign: (data) => Promise.resolve(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' })),
  };
}

/**
 * Generates a new P-256 key and writes it to `<walletDir>/key.pem` (PKCS#8 PEM, mode 0600; the directory is
 * created with mode 0700). Never overwrites an existing key: losing it means losing every credential.
 *
 * @throws KycError KYC_CONFLICT when the wallet already has a key.
 */
export async function createPersonKey(walletDir: string): Promise<PersonKey> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  await createPrivateFile(join(walletDir, KEY_FILE), pem);
  return personKeyFromPrivateKey(privateKey);
}

/**
 * Loads the person's key from `<walletDir>/key.pem`. Refuses a key file that group or others can read, as ssh
 * does, rather than use a key that may have leaked.
 *
 * @throws KycError KYC_NOT_FOUND when the wallet has no key (run `init`).
 * @throws KycError KYC_INVALID_ARGUMENT when the file is readable by others or is not a P-256 PKCS#8 key.
 */
export async function loadPersonKey(walletDir: string): Promise<PersonKey> {
  const path = join(walletDir, KEY_FILE);
  const pem = await readFileCapped(path, MAX_KEY_FILE_BYTES, 'key file');
  if (await isReadableByOthers(path)) {
    throw new KycError('KYC_INVALID_ARGUMENT', `key file ${path} is accessible by others: chmod 600 it`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', `key file ${path} does not hold a private key`, { cause });
  }
  return personKeyFromPrivateKey(privateKey);
}
