import { randomBytes, type KeyObject } from 'node:crypto';
import type { Cryptoki, Handle } from './library';
import { HsmError, toHsmError } from './errors';
import { P256_EC_PARAMS, pointFromEcPointAttribute, publicKeyFromPoint, skiOfPoint, type Ski } from './p256';

/**
 * Key objects on a token: the templates our keys are made with, and finding and describing them. Every
 * function here runs on one session the caller has borrowed exclusively, and is synchronous except key
 * generation, so no other operation can interleave on that session.
 */

/** What a key pair is for: ECDSA signatures, or ECDH key agreement (JWE decryption). Never both. */
export type KeyUsage = 'sign' | 'derive';

/** What the token says about a private key (and its public half, if the token holds one). */
export interface HsmKeyInfo {
  readonly ski: Ski;
  readonly label: string;
  readonly canSign: boolean;
  readonly canDerive: boolean;
  /** CKA_SENSITIVE: the private value can never be read in plaintext. */
  readonly sensitive: boolean;
  /** CKA_EXTRACTABLE: the key may be wrapped out of the token. Always false for keys made here. */
  readonly extractable: boolean;
  /** CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE: true when the key has been protected since birth. */
  readonly alwaysSensitive: boolean;
  readonly neverExtractable: boolean;
  /** The public key, from the public object with the same CKA_ID; undefined when the token holds none. */
  readonly publicKey: KeyObject | undefined;
}

const MAX_LABEL_LENGTH = 64;
const PRINTABLE = /^[\x20-\x7e]+$/;

/**
 * Checks a key label: 1 to 64 printable ASCII characters.
 *
 * @throws HsmError HSM_INVALID_ARGUMENT otherwise.
 */
export function assertKeyLabel(label: unknown): asserts label is string {
  if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL_LENGTH || !PRINTABLE.test(label)) {
    throw new HsmError(
      'HSM_INVALID_ARGUMENT',
      `a key label must be 1 to ${MAX_LABEL_LENGTH} printable ASCII characters`,
    );
  }
}

/** Every object matching `template` (found in batches of 64). */
export function findObjects(cryptoki: Cryptoki, session: Handle, template: Template): Handle[] {
  const { api } = cryptoki;
  api.C_FindObjectsInit(session, template);
  try {
    const found: Handle[] = [];
    for (;;) {
      const batch = api.C_FindObjects(session, 64);
      found.push(...batch);
      if (batch.length < 64) {
        return found;
      }
    }
  } finally {
    api.C_FindObjectsFinal(session);
  }
}

/** The EC private key with CKA_ID = `ski` (that may be used for `usage`, when given), or undefined. */
export function findPrivateKey(cryptoki: Cryptoki, session: Handle, ski: Ski, usage?: KeyUsage): Handle | undefined {
  const { pkcs11 } = cryptoki;
  const template: Template = [
    { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
    { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_EC },
    { type: pkcs11.CKA_ID, value: Buffer.from(ski, 'hex') },
  ];
  if (usage !== undefined) {
    template.push({ type: usage === 'sign' ? pkcs11.CKA_SIGN : pkcs11.CKA_DERIVE, value: true });
  }
  return findObjects(cryptoki, session, template)[0];
}

function findPublicKey(cryptoki: Cryptoki, session: Handle, id: Buffer): Handle | undefined {
  const { pkcs11 } = cryptoki;
  return findObjects(cryptoki, session, [
    { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PUBLIC_KEY },
    { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_EC },
    { type: pkcs11.CKA_ID, value: id },
  ])[0];
}

function readPoint(cryptoki: Cryptoki, session: Handle, handle: Handle): Buffer {
  const { api, pkcs11 } = cryptoki;
  const [params, point] = api.C_GetAttributeValue(session, handle, [
    { type: pkcs11.CKA_EC_PARAMS },
    { type: pkcs11.CKA_EC_POINT },
  ]);
  if (params === undefined || point === undefined || !params.value.equals(P256_EC_PARAMS)) {
    throw new HsmError('HSM_OPERATION_FAILED', 'the public key object is not a P-256 key');
  }
  return pointFromEcPointAttribute(point.value);
}

function readPublicKey(cryptoki: Cryptoki, session: Handle, handle: Handle): KeyObject {
  return publicKeyFromPoint(readPoint(cryptoki, session, handle));
}

/** The public key whose CKA_ID is `ski`, or undefined when the token holds no such public object. */
export function publicKeyOf(cryptoki: Cryptoki, session: Handle, ski: Ski): KeyObject | undefined {
  const handle = findPublicKey(cryptoki, session, Buffer.from(ski, 'hex'));
  return handle === undefined ? undefined : readPublicKey(cryptoki, session, handle);
}

/** The values of `types` on one object, in that order (absent when the token does not report one). */
export function readAttributes(
  cryptoki: Cryptoki,
  session: Handle,
  handle: Handle,
  types: readonly number[],
): (Buffer | undefined)[] {
  return cryptoki.api
    .C_GetAttributeValue(
      session,
      handle,
      types.map((type) => ({ type })),
    )
    .map((attribute) => attribute.value);
}

/** A CK_BBOOL attribute as read back: true when present and non-zero. */
export function flag(value: Buffer | undefined): boolean {
  return value !== undefined && value.length > 0 && value[0] !== 0;
}

/** Reads what {@link HsmKeyInfo} reports about one private key object. */
export function describePrivateKey(cryptoki: Cryptoki, session: Handle, handle: Handle): HsmKeyInfo {
  const { pkcs11 } = cryptoki;
  const types = [
    pkcs11.CKA_ID,
    pkcs11.CKA_LABEL,
    pkcs11.CKA_SIGN,
    pkcs11.CKA_DERIVE,
    pkcs11.CKA_SENSITIVE,
    pkcs11.CKA_EXTRACTABLE,
    pkcs11.CKA_ALWAYS_SENSITIVE,
    pkcs11.CKA_NEVER_EXTRACTABLE,
  ];
  const values = readAttributes(cryptoki, session, handle, types);
  const [id = Buffer.alloc(0), label, sign, derive, sensitive, extractable, alwaysSensitive, neverExtractable] = values;
  const publicHandle = id.length > 0 ? findPublicKey(cryptoki, session, id) : undefined;
  return {
    ski: id.toString('hex'),
    label: label?.toString('utf8') ?? '',
    canSign: flag(sign),
    canDerive: flag(derive),
    sensitive: flag(sensitive),
    extractable: flag(extractable),
    alwaysSensitive: flag(alwaysSensitive),
    neverExtractable: flag(neverExtractable),
    publicKey: publicHandle === undefined ? undefined : readPublicKey(cryptoki, session, publicHandle),
  };
}

/** Every EC private key on the token. */
export function listPrivateKeys(cryptoki: Cryptoki, session: Handle): Handle[] {
  const { pkcs11 } = cryptoki;
  return findObjects(cryptoki, session, [
    { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
    { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_EC },
  ]);
}

/** A key pair made by {@link generateKeyPair}. */
export interface GeneratedKey {
  readonly ski: Ski;
  readonly publicKey: KeyObject;
}

function templates(cryptoki: Cryptoki, usage: KeyUsage, id: Buffer, label: string): [Template, Template] {
  const { pkcs11 } = cryptoki;
  const common: Template = [
    { type: pkcs11.CKA_KEY_TYPE, value: pkcs11.CKK_EC },
    { type: pkcs11.CKA_TOKEN, value: true },
    { type: pkcs11.CKA_ID, value: id },
    { type: pkcs11.CKA_LABEL, value: label },
  ];
  const publicTemplate: Template = [
    ...common,
    { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PUBLIC_KEY },
    { type: pkcs11.CKA_EC_PARAMS, value: P256_EC_PARAMS },
    { type: pkcs11.CKA_PRIVATE, value: false },
    { type: pkcs11.CKA_VERIFY, value: usage === 'sign' },
  ];
  const privateTemplate: Template = [
    ...common,
    { type: pkcs11.CKA_CLASS, value: pkcs11.CKO_PRIVATE_KEY },
    { type: pkcs11.CKA_PRIVATE, value: true },
    { type: pkcs11.CKA_SENSITIVE, value: true },
    { type: pkcs11.CKA_EXTRACTABLE, value: false },
    { type: pkcs11.CKA_SIGN, value: usage === 'sign' },
    { type: pkcs11.CKA_DERIVE, value: usage === 'derive' },
    { type: pkcs11.CKA_DECRYPT, value: false },
    { type: pkcs11.CKA_UNWRAP, value: false },
  ];
  return [publicTemplate, privateTemplate];
}

type Template = Parameters<Cryptoki['api']['C_GenerateKeyPair']>[2];

/**
 * Generates a P-256 key pair inside the token: the private half a sensitive, never-extractable token object
 * usable for `usage` only. Its SKI is known only once the point exists, so the pair is created under a random
 * temporary CKA_ID and then given CKA_ID = SKI (what Fabric's BCCSP does too); on failure the pair is destroyed.
 *
 * @throws HsmError HSM_OPERATION_FAILED when the token refuses.
 */
export async function generateKeyPair(
  cryptoki: Cryptoki,
  session: Handle,
  usage: KeyUsage,
  label: string | undefined,
): Promise<GeneratedKey> {
  const { api, pkcs11 } = cryptoki;
  const temporaryId = randomBytes(32);
  const [publicTemplate, privateTemplate] = templates(cryptoki, usage, temporaryId, label ?? 'pending');
  const pair = await api.C_GenerateKeyPairAsync(
    session,
    { mechanism: pkcs11.CKM_EC_KEY_PAIR_GEN },
    publicTemplate,
    privateTemplate,
  );
  try {
    const point = readPoint(cryptoki, session, pair.publicKey);
    const publicKey = publicKeyFromPoint(point);
    const ski = skiOfPoint(point);
    const final: Template = [
      { type: pkcs11.CKA_ID, value: Buffer.from(ski, 'hex') },
      { type: pkcs11.CKA_LABEL, value: label ?? ski },
    ];
    api.C_SetAttributeValue(session, pair.privateKey, final);
    api.C_SetAttributeValue(session, pair.publicKey, final);
    return { ski, publicKey };
  } catch (cause) {
    destroyQuietly(cryptoki, session, pair.privateKey);
    destroyQuietly(cryptoki, session, pair.publicKey);
    throw toHsmError(cause, 'HSM_OPERATION_FAILED', 'could not name the generated key pair by its SKI');
  }
}

/** Destroys an object, ignoring failure (used for cleanup on an error path). */
export function destroyQuietly(cryptoki: Cryptoki, session: Handle, handle: Handle): void {
  try {
    cryptoki.api.C_DestroyObject(session, handle);
  } catch {
    // Cleanup after another failure: report that one, not this.
  }
}

/** Every object (private, public) whose CKA_ID is `ski`. */
export function objectsWithId(cryptoki: Cryptoki, session: Handle, ski: Ski): Handle[] {
  return findObjects(cryptoki, session, [{ type: cryptoki.pkcs11.CKA_ID, value: Buffer.from(ski, 'hex') }]);
}
