import { X509Certificate } from 'node:crypto';
import type { Context } from 'fabric-contract-api';
import { KycError } from '../../../protocol/src';

/**
 * Organisation admins: callers whose enrollment certificate carries the NodeOU `admin` (the organisations'
 * MSPs enable NodeOUs, and fabric-ca enrolls an identity of type `admin` with `OU=admin` in its subject). The
 * MSP has already validated the certificate against the organisation's CA before the chaincode runs; the
 * chaincode only reads the subject. Fails closed: a certificate that cannot be read is no admin's.
 */

/** The NodeOU of organisation admins (fabric-ca identity type `admin`). */
export const ADMIN_OU = 'admin';

/** True when the subject of the caller's certificate has an `OU=admin` entry; false on anything unexpected. */
export function isOrgAdmin(ctx: Context): boolean {
  try {
    const pem = Buffer.from(ctx.clientIdentity.getIDBytes()).toString('utf8');
    const { subject } = new X509Certificate(pem);
    // Node prints one attribute per line (`O=…\nOU=admin\nCN=…`); a multi-valued RDN would not match.
    return subject.split('\n').includes(`OU=${ADMIN_OU}`);
  } catch {
    return false;
  }
}

/**
 * The caller must be an admin of its organisation.
 *
 * @returns the caller's MSP id (from its certificate, never from an argument).
 * @throws KycError KYC_FORBIDDEN otherwise.
 */
export function requireOrgAdmin(ctx: Context): string {
  const msp = ctx.clientIdentity.getMSPID();
  if (!isOrgAdmin(ctx)) {
    throw new KycError(
      'KYC_FORBIDDEN',
      `caller is not an admin of organisation ${msp} (its certificate lacks OU=admin)`,
    );
  }
  return msp;
}
