import { createPublicKey } from 'node:crypto';
import { CompactEncrypt } from 'jose';
import { KycError, type RegistrationPayload } from '../../protocol/src';

/**
 * What the wallet sends to an organisation, encrypted to the organisation's P-256 key (held in its HSM):
 * compact JWE, ECDH-ES with A256GCM, the plaintext's media type in `cty` and the object it is for in `kid`
 * (a bank's registration, a certifier's certification). Presentations and evidence both go this way.
 *
 * @throws KycError KYC_INVALID_ARGUMENT when the key is not a P-256 point.
 */
export async function encryptToOrganisation(
  plaintext: object,
  key: RegistrationPayload['enc_jwk'],
  header: { readonly cty: string; readonly kid: string },
  organisation: string,
): Promise<string> {
  let publicKey;
  try {
    publicKey = createPublicKey({ key: { ...key }, format: 'jwk' });
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', `the ${organisation} encryption key is not a P-256 point`, { cause });
  }
  return new CompactEncrypt(Buffer.from(JSON.stringify(plaintext), 'utf8'))
    .setProtectedHeader({ alg: 'ECDH-ES', enc: 'A256GCM', ...header })
    .encrypt(publicKey);
}
