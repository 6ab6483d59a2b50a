import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KycError, type RegistrationPayload } from '../../../protocol/src';
import type { DeriveSharedSecret } from '../../../protocol/src/jose';
import { toKycError } from '../../../gateway/src/errors';
import { isSki, type HsmToken, type Ski } from '../../../gateway/src/hsm';

/**
 * An organisation's encryption key for what people send it: a P-256 ECDH key generated once inside the HSM
 * token (derive-only, never extractable); the service remembers only its SKI. A bank's wallets get the public
 * half in every registration (presentations), a certifier's with every nonce (evidence).
 */
export interface EncryptionKey {
  readonly ski: Ski;
  readonly jwk: RegistrationPayload['enc_jwk'];
  /** ECDH inside the HSM; HSM trouble becomes KYC_UNAVAILABLE, which JWE decryption passes on. */
  readonly deriveSharedSecret: DeriveSharedSecret;
}

export async function loadOrCreateEncryptionKey(
  token: HsmToken,
  dataDir: string,
  label: string,
): Promise<EncryptionKey> {
  const path = join(dataDir, 'encryption-key.json');
  let ski: Ski;
  if (existsSync(path)) {
    const stored = (JSON.parse(readFileSync(path, 'utf8')) as { ski?: unknown }).ski;
    if (!isSki(stored)) throw new KycError('KYC_INTERNAL', `${path} does not name a key`);
    ski = stored;
  } else {
    ski = (await token.generateKeyPair({ usage: 'derive', label })).ski;
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(path, JSON.stringify({ ski }, null, 2), { mode: 0o600 });
  }
  const jwk = (await token.publicKeyOf(ski)).export({ format: 'jwk' });
  if (jwk.x === undefined || jwk.y === undefined) throw new KycError('KYC_INTERNAL', 'encryption key is not EC');
  const deriveSharedSecret: DeriveSharedSecret = (epk) =>
    token.deriveSharedSecret(ski, epk).catch((err: unknown) => {
      throw toKycError(err);
    });
  return { ski, jwk: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, deriveSharedSecret };
}
