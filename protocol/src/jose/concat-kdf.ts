import { createHash } from 'node:crypto';

/** SHA-256 output size; the KDF runs one hash per 256 bits of key. */
const HASH_BITS = 256;

function uint32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(value);
  return out;
}

/** A `Datalen || Data` field of OtherInfo (NIST SP 800-56A §5.8.1.2, as RFC 7518 §4.6.2 uses it). */
function lengthPrefixed(data: Uint8Array): Buffer {
  return Buffer.concat([uint32(data.length), data]);
}

/**
 * The Concat KDF of RFC 7518 §4.6.2 with SHA-256: `key = first keyBits of H(1 || Z || OtherInfo) || H(2 || …)`
 * where OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo || SuppPubInfo (keydatalen in bits) and
 * SuppPrivInfo is empty. For ECDH-ES in direct key agreement mode AlgorithmID is the `enc` value.
 *
 * @param sharedSecret Z, the x coordinate of the ECDH result.
 * @param algorithmId the `enc` value (direct mode) or the `alg` value (key wrapping modes).
 * @param apu the decoded `apu` header parameter, or empty.
 * @param apv the decoded `apv` header parameter, or empty.
 * @param keyBits the length of the key to derive, in bits (a multiple of 8).
 * @throws RangeError when `keyBits` is not a positive multiple of 8.
 */
export function concatKdf(
  sharedSecret: Uint8Array,
  algorithmId: string,
  apu: Uint8Array,
  apv: Uint8Array,
  keyBits: number,
): Buffer {
  if (!Number.isSafeInteger(keyBits) || keyBits <= 0 || keyBits % 8 !== 0) {
    throw new RangeError('keyBits must be a positive multiple of 8');
  }
  const otherInfo = Buffer.concat([
    lengthPrefixed(Buffer.from(algorithmId, 'ascii')),
    lengthPrefixed(apu),
    lengthPrefixed(apv),
    uint32(keyBits),
  ]);
  const rounds = Math.ceil(keyBits / HASH_BITS);
  const blocks: Buffer[] = [];
  for (let counter = 1; counter <= rounds; counter++) {
    blocks.push(createHash('sha256').update(uint32(counter)).update(sharedSecret).update(otherInfo).digest());
  }
  return Buffer.concat(blocks).subarray(0, keyBits / 8);
}
