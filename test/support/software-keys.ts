import { diffieHellman, sign, type KeyObject } from 'node:crypto';
import type { Es256Signer } from '../../protocol/src';
import type { DeriveSharedSecret } from '../../protocol/src/jose/decrypt-jwe';

/**
 * Key operations over node:crypto keys, with the same shapes as the HSM's: for tests, demos and development
 * without a token. Production keys stay in the HSM (gateway/src/hsm).
 */

/**
 * ECDH with a P-256 private key held in memory.
 *
 * @throws Error (from node:crypto) when the keys are not on the same curve.
 */
export function softwareKeyAgreement(privateKey: KeyObject): DeriveSharedSecret {
  return (epk) => Promise.resolve(diffieHellman({ privateKey, publicKey: epk }));
}

/** ES256 with a P-256 private key held in memory; returns IEEE P1363 `r || s`. */
export function softwareEs256Signer(privateKey: KeyObject): Es256Signer {
  return (data) => Promise.resolve(sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' }));
}
