import { HsmError } from './errors';
import { P256_ORDER } from './p256';

/**
 * ECDSA P-256 signature encodings. PKCS#11 CKM_ECDSA returns IEEE P1363 `r || s` (JWS uses it as is); Fabric
 * wants DER `SEQUENCE { INTEGER r, INTEGER s }` with s ≤ n/2 ("low-S"), because its validators reject the
 * malleable high-S twin of every signature.
 */

const HALF_ORDER = P256_ORDER >> 1n;
const SCALAR_LENGTH = 32;

function toBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
}

function toFixedBytes(value: bigint): Buffer {
  return Buffer.from(value.toString(16).padStart(SCALAR_LENGTH * 2, '0'), 'hex');
}

function splitP1363(signature: Uint8Array): [bigint, bigint] {
  if (signature.length !== 2 * SCALAR_LENGTH) {
    throw new HsmError('HSM_OPERATION_FAILED', 'an ECDSA P-256 signature must be 64 bytes (r || s)');
  }
  return [toBigInt(signature.subarray(0, SCALAR_LENGTH)), toBigInt(signature.subarray(SCALAR_LENGTH))];
}

/** True when the `r || s` signature's s is at most n/2. */
export function isLowS(signature: Uint8Array): boolean {
  return splitP1363(signature)[1] <= HALF_ORDER;
}

/**
 * The low-S form of an `r || s` signature: s replaced by n − s when s > n/2 (both verify).
 *
 * @throws HsmError HSM_OPERATION_FAILED when the signature is not 64 bytes.
 */
export function toLowS(signature: Uint8Array): Buffer {
  const [r, s] = splitP1363(signature);
  return Buffer.concat([toFixedBytes(r), toFixedBytes(s > HALF_ORDER ? P256_ORDER - s : s)]);
}

function derInteger(value: bigint): Buffer {
  let bytes = toFixedBytes(value);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) {
    start += 1;
  }
  bytes = bytes.subarray(start);
  // A set high bit would make the INTEGER negative: prefix a zero byte.
  const body = (bytes[0] ?? 0) & 0x80 ? Buffer.concat([Uint8Array.of(0), bytes]) : bytes;
  return Buffer.concat([Uint8Array.of(0x02, body.length), body]);
}

/**
 * DER `SEQUENCE { INTEGER r, INTEGER s }` of an `r || s` signature, made low-S first: what Fabric accepts.
 *
 * @throws HsmError HSM_OPERATION_FAILED when the signature is not 64 bytes.
 */
export function p1363ToLowSDer(signature: Uint8Array): Buffer {
  const [r, s] = splitP1363(toLowS(signature));
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  // At most 2 × 35 bytes, so the length always fits the short form.
  return Buffer.concat([Uint8Array.of(0x30, body.length), body]);
}
