import { createHash, createPublicKey, KeyObject, X509Certificate } from 'node:crypto';
import { HsmError } from './errors';

/**
 * P-256 helpers shared by the HSM module and its callers: key encodings, and the subject key identifier (SKI)
 * by which Fabric's PKCS#11 BCCSP finds keys: SHA-256 of the uncompressed EC point (0x04 || x || y), stored as
 * CKA_ID on both halves of the pair. Keys are named by the lowercase hex of the SKI throughout the project.
 */

/** DER of the named-curve OID prime256v1 (1.2.840.10045.3.1.7): the CKA_EC_PARAMS of every key we create. */
export const P256_EC_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
/** The order n of P-256's base point. */
export const P256_ORDER = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
const COORDINATE_LENGTH = 32;
const UNCOMPRESSED_POINT_LENGTH = 1 + 2 * COORDINATE_LENGTH;
const SKI_HEX = /^[0-9a-f]{64}$/;

/** A key's SKI as 64 lowercase hex characters. */
export type Ski = string;

/** True when `value` is an SKI in the project's form (64 lowercase hex characters). */
export function isSki(value: unknown): value is Ski {
  return typeof value === 'string' && SKI_HEX.test(value);
}

/**
 * Checks an SKI argument.
 *
 * @throws HsmError HSM_INVALID_ARGUMENT when it is not 64 lowercase hex characters.
 */
export function assertSki(value: unknown): asserts value is Ski {
  if (!isSki(value)) {
    throw new HsmError('HSM_INVALID_ARGUMENT', 'an SKI must be 64 lowercase hex characters (SHA-256 of the EC point)');
  }
}

/**
 * The 65-byte uncompressed point (0x04 || x || y) of a P-256 public key.
 *
 * @throws HsmError HSM_INVALID_ARGUMENT when the key is not a P-256 public key.
 */
export function uncompressedPoint(publicKey: KeyObject): Buffer {
  if (publicKey.type !== 'public' || publicKey.asymmetricKeyType !== 'ec') {
    throw new HsmError('HSM_INVALID_ARGUMENT', 'expected an EC public key');
  }
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.crv !== 'P-256' || jwk.x === undefined || jwk.y === undefined) {
    throw new HsmError('HSM_INVALID_ARGUMENT', 'expected a P-256 public key');
  }
  return Buffer.concat([Uint8Array.of(0x04), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}

/**
 * The public key of a 65-byte uncompressed P-256 point. node:crypto rejects points that are not on the curve.
 *
 * @throws HsmError HSM_INVALID_ARGUMENT when the bytes are not an uncompressed point on P-256.
 */
export function publicKeyFromPoint(point: Uint8Array): KeyObject {
  if (point.length !== UNCOMPRESSED_POINT_LENGTH || point[0] !== 0x04) {
    throw new HsmError('HSM_INVALID_ARGUMENT', 'expected a 65-byte uncompressed P-256 point');
  }
  const bytes = Buffer.from(point);
  try {
    return createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: bytes.subarray(1, 1 + COORDINATE_LENGTH).toString('base64url'),
        y: bytes.subarray(1 + COORDINATE_LENGTH).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch (cause) {
    throw new HsmError('HSM_INVALID_ARGUMENT', 'the point is not on P-256', { cause });
  }
}

/**
 * Reads CKA_EC_POINT: PKCS#11 says it is a DER OCTET STRING holding the point; some tokens return the bare
 * point, so accept both.
 *
 * @throws HsmError HSM_OPERATION_FAILED when the value is neither.
 */
export function pointFromEcPointAttribute(value: Buffer): Buffer {
  if (value.length === UNCOMPRESSED_POINT_LENGTH && value[0] === 0x04) {
    return value;
  }
  if (value.length === UNCOMPRESSED_POINT_LENGTH + 2 && value[0] === 0x04 && value[1] === UNCOMPRESSED_POINT_LENGTH) {
    return value.subarray(2);
  }
  throw new HsmError(
    'HSM_OPERATION_FAILED',
    'the token returned a CKA_EC_POINT that is not an uncompressed P-256 point',
  );
}

/** The SKI of an uncompressed point: lowercase hex of SHA-256(0x04 || x || y). */
export function skiOfPoint(point: Uint8Array): Ski {
  return createHash('sha256').update(point).digest('hex');
}

/**
 * The SKI of a P-256 public key, as Fabric computes it (SHA-256 of the uncompressed point), in lowercase hex.
 *
 * @throws HsmError HSM_INVALID_ARGUMENT when the key is not a P-256 public key.
 */
export function ski(publicKey: KeyObject): Ski {
  return skiOfPoint(uncompressedPoint(publicKey));
}

/**
 * The SKI of the P-256 public key in a PEM certificate: how a Fabric identity names its key in the HSM.
 *
 * @throws HsmError HSM_INVALID_ARGUMENT when the text is not a certificate with a P-256 key.
 */
export function skiOfCertificate(certificatePem: string): Ski {
  let publicKey: KeyObject;
  try {
    publicKey = new X509Certificate(certificatePem).publicKey;
  } catch (cause) {
    throw new HsmError('HSM_INVALID_ARGUMENT', 'not a PEM X.509 certificate', { cause });
  }
  return ski(publicKey);
}
