/**
 * The roles of the consortium, spelled once. An officer's role is the fabric-ca attribute `kyc.role` in
 * their enrollment certificate: the contract decides from it who may certify or verify, the services enroll
 * officers with it, and the wallet requires it of the certificate that signs a bank's registration.
 */
export const ROLE_ATTRIBUTE = 'kyc.role';

export const ROLES = {
  /** A certification officer: may Certify, Renew and Revoke for their organisation. */
  certifier: 'certifier',
  /** A bank officer: may open registrations and VerifyPresentation for their organisation. */
  bankVerifier: 'bank-verifier',
} as const;

export type Role = (typeof ROLES)[keyof typeof ROLES];
