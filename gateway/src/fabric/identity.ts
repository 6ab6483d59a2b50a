import { X509Certificate } from 'node:crypto';
import type { Identity } from '@hyperledger/fabric-gateway';
import { isHsmError, skiOfCertificate, type HsmToken, type Ski } from '../hsm';
import { FabricSetupError } from './errors';

/**
 * A Fabric identity whose private key lives in an HSM token: the enrollment certificate, and the SKI by which
 * the token finds the key (CKA_ID). Never a key.
 */
export interface HsmIdentity {
  readonly mspId: string;
  readonly certificatePem: string;
  readonly ski: Ski;
}

/** The fabric-gateway identity (MSP id + PEM certificate bytes) of an {@link HsmIdentity}. */
export function gatewayIdentity(identity: HsmIdentity): Identity {
  return { mspId: identity.mspId, credentials: Buffer.from(identity.certificatePem, 'utf8') };
}

/**
 * Builds an {@link HsmIdentity} from a certificate: the SKI comes from the certificate's public key.
 *
 * @throws FabricSetupError FABRIC_IDENTITY_MISMATCH when the text is not a P-256 certificate.
 */
export function hsmIdentityOf(mspId: string, certificatePem: string): HsmIdentity {
  try {
    return { mspId, certificatePem, ski: skiOfCertificate(certificatePem) };
  } catch (cause) {
    throw new FabricSetupError('FABRIC_IDENTITY_MISMATCH', `the certificate for ${mspId} has no P-256 key`, { cause });
  }
}

/**
 * Checks that the token holds the identity's key pair: the certificate's SKI is the identity's, and the
 * token's public key with that SKI is the certificate's. Catches a wrong token or a stale certificate before
 * Fabric rejects every signature.
 *
 * @throws FabricSetupError FABRIC_IDENTITY_MISMATCH otherwise.
 */
export async function assertKeyMatches(identity: HsmIdentity, token: HsmToken): Promise<void> {
  const certificateKey = new X509Certificate(identity.certificatePem).publicKey;
  if (skiOfCertificate(identity.certificatePem) !== identity.ski) {
    throw new FabricSetupError('FABRIC_IDENTITY_MISMATCH', `SKI ${identity.ski} is not the certificate's key`);
  }
  try {
    const tokenKey = await token.publicKeyOf(identity.ski);
    if (!tokenKey.equals(certificateKey)) {
      throw new FabricSetupError(
        'FABRIC_IDENTITY_MISMATCH',
        `token '${token.label}' holds another key under SKI ${identity.ski}`,
      );
    }
  } catch (error) {
    if (isHsmError(error, 'HSM_KEY_NOT_FOUND')) {
      throw new FabricSetupError(
        'FABRIC_IDENTITY_MISMATCH',
        `token '${token.label}' has no key for this ${identity.mspId} certificate (SKI ${identity.ski})`,
        { cause: error },
      );
    }
    throw error;
  }
}
