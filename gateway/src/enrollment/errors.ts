/**
 * Errors of registration and enrollment as data: a stable `code`, and fabric-ca's own error list when the CA
 * answered with one.
 */
export const ENROLLMENT_ERROR_CODES = [
  /** A malformed request: enrollment id, type, attributes, URL, certificate. Nothing was sent. */
  'ENROLLMENT_INVALID_ARGUMENT',
  /** The CA answered with an error (unknown id, wrong secret, already registered, not authorised, …). */
  'ENROLLMENT_CA_REJECTED',
  /** The CA could not be reached, or its TLS certificate was not trusted. */
  'ENROLLMENT_CA_UNREACHABLE',
  /** The CA issued a certificate for another key than the one in the HSM. */
  'ENROLLMENT_KEY_MISMATCH',
  /** The identity store already holds this identity. Nothing was sent. */
  'ENROLLMENT_CONFLICT',
  /** The identity store could not be read or written. */
  'ENROLLMENT_STORE_FAILED',
] as const;

export type EnrollmentErrorCode = (typeof ENROLLMENT_ERROR_CODES)[number];

/** One error as fabric-ca reports it (`{ code, message }`). */
export interface CaErrorDetail {
  readonly code: number;
  readonly message: string;
}

/** An error of registration or enrollment. */
export class EnrollmentError extends Error {
  override readonly name = 'EnrollmentError';
  /** fabric-ca's error list, when the CA answered with one. */
  readonly caErrors: readonly CaErrorDetail[];

  constructor(
    readonly code: EnrollmentErrorCode,
    message: string,
    options?: ErrorOptions & { readonly caErrors?: readonly CaErrorDetail[] },
  ) {
    super(`${code}: ${message}`, options);
    this.caErrors = options?.caErrors ?? [];
  }
}
