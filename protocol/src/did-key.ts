import { createPublicKey, KeyObject } from 'node:crypto';
import bs58 from 'bs58';
import { KycError } from './errors';

/**
 * `did:key` identifiers for P-256 public keys (https://w3c-ccg.github.io/did-method-key/): the multicodec
 * `p256-pub` (0x1200, varint bytes 0x80 0x24) followed by the 33-byte compressed point, base58btc-encoded with
 * the multibase prefix `z`. Every such id starts with `did:key:zDn`. The ledger keys a person's records by it.
 */

const DID_KEY_PREFIX = 'did:key:z';
const P256_MULTICODEC = Uint8Array.of(0x80, 0x24);
const COMPRESSED_POINT_LENGTH = 33;
/** DER of SubjectPublicKeyInfo { ecPublicKey, prime256v1 } up to the BIT STRING holding a compressed point. */
const SPKI_P256_COMPRESSED_PREFIX = Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex');
/** A P-256 did:key is always 57 characters after `did:key:`; allow no slack so lookalikes fail early. */
const DID_KEY_P256 = /^did:key:zDn[1-9A-HJ-NP-Za-km-z]{46}$/;

/** True when `value` has the shape of a P-256 did:key (the point itself is checked by {@link publicKeyFromDidKey}). */
export function isP256DidKeyShape(value: unknown): value is string {
  return typeof value === 'string' && DID_KEY_P256.test(value);
}

/**
 * The did:key of a P-256 public key.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when the key is not a P-256 public key.
 */
export function didKeyFromPublicKey(publicKey: KeyObject): string {
  return DID_KEY_PREFIX + bs58.encode(Buffer.concat([P256_MULTICODEC, compressedPoint(publicKey)]));
}

/**
 * The P-256 public key a did:key names. Rejects other methods, other key types and points not on the curve.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when `did` is not a valid P-256 did:key.
 */
export function publicKeyFromDidKey(did: string): KeyObject {
  const cached = parsedKeys.get(did);
  if (cached !== undefined) return cached;
  const publicKey = parseDidKey(did);
  // Bounded: past the limit the oldest entry goes (Map keeps insertion order). Only valid ids are kept.
  if (parsedKeys.size >= PARSED_KEYS_LIMIT) parsedKeys.delete(parsedKeys.keys().next().value as string);
  parsedKeys.set(did, publicKey);
  return publicKey;
}

/**
 * Parsed keys by did:key. Importing a key costs OpenSSL 3 a decoder run (≈ 0.1 ms, the largest single cost of
 * a kyc query in the chaincode's profile: docs/performance.md); a did always names the same key, so a
 * chaincode server or service that sees a person again reuses the KeyObject.
 */
const parsedKeys = new Map<string, KeyObject>();
const PARSED_KEYS_LIMIT = 10_000;

function parseDidKey(did: string): KeyObject {
  if (!isP256DidKeyShape(did)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'person id must be a P-256 did:key (did:key:zDn...)');
  }
  const bytes = Buffer.from(bs58.decode(did.slice(DID_KEY_PREFIX.length)));
  const point = bytes.subarray(P256_MULTICODEC.length);
  if (
    bytes[0] !== P256_MULTICODEC[0] ||
    bytes[1] !== P256_MULTICODEC[1] ||
    point.length !== COMPRESSED_POINT_LENGTH ||
    (point[0] !== 0x02 && point[0] !== 0x03)
  ) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'person id is not a P-256 did:key');
  }
  try {
    return createPublicKey({ key: Buffer.concat([SPKI_P256_COMPRESSED_PREFIX, point]), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'person id does not name a point on P-256', { cause });
  }
}

/** The 33-byte SEC1 compressed form of a P-256 public key. */
export function compressedPoint(publicKey: KeyObject): Buffer {
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ec') {
    throw new KycError('KYC_INVALID_ARGUMENT', 'expected an EC public key');
  }
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || jwk.x === undefined || jwk.y === undefined) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'expected a P-256 public key');
  }
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  const yIsOdd = ((y[y.length - 1] ?? 0) & 1) === 1;
  return Buffer.concat([Uint8Array.of(yIsOdd ? 0x03 : 0x02), x]);
}
