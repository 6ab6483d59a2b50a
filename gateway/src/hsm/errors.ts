import { KycError } from '../../../protocol/src';

/**
 * Errors of the PKCS#11 module as data: a stable `code` for callers to switch on, and the PKCS#11 return value
 * name (`CKR_…`) when the token produced one. Messages never carry a PIN or key material.
 */
export const HSM_ERROR_CODES = [
  /** The PKCS#11 library (or the pkcs11js native binding) could not be loaded or initialised. */
  'HSM_LIBRARY_FAILED',
  /** The process already uses another PKCS#11 library or SoftHSM configuration, or another component initialised it. */
  'HSM_LIBRARY_CONFLICT',
  /** No initialised token carries the label. */
  'HSM_TOKEN_NOT_FOUND',
  /** More than one token carries the label. */
  'HSM_TOKEN_AMBIGUOUS',
  /** The PIN was rejected (wrong, locked, not initialised) or differs from the PIN the token was opened with. */
  'HSM_LOGIN_FAILED',
  /** No key of the requested kind carries the SKI (CKA_ID). */
  'HSM_KEY_NOT_FOUND',
  /** A caller passed something malformed: SKI, digest, peer key, label, pool size. Nothing was changed. */
  'HSM_INVALID_ARGUMENT',
  /** Every session stayed busy for longer than the acquire timeout. Safe to retry. */
  'HSM_BUSY',
  /** The token handle or the library was closed. */
  'HSM_CLOSED',
  /** The token refused or failed an operation. */
  'HSM_OPERATION_FAILED',
] as const;

export type HsmErrorCode = (typeof HSM_ERROR_CODES)[number];

/** Context an {@link HsmError} may carry. */
export interface HsmErrorOptions extends ErrorOptions {
  /** The PKCS#11 return value name, e.g. `CKR_PIN_INCORRECT`. */
  readonly returnValue?: string;
  /** The token label concerned, if any. */
  readonly tokenLabel?: string;
}

/** An error of the PKCS#11 module; `code` is stable, `returnValue` names the PKCS#11 result when there is one. */
export class HsmError extends Error {
  override readonly name = 'HsmError';
  readonly returnValue: string | undefined;
  readonly tokenLabel: string | undefined;

  constructor(
    readonly code: HsmErrorCode,
    message: string,
    options: HsmErrorOptions = {},
  ) {
    super(`${code}: ${message}${options.returnValue === undefined ? '' : ` (${options.returnValue})`}`, options);
    this.returnValue = options.returnValue;
    this.tokenLabel = options.tokenLabel;
  }
}

/** True when `value` is an {@link HsmError}, optionally with the given code. */
export function isHsmError(value: unknown, code?: HsmErrorCode): value is HsmError {
  return value instanceof HsmError && (code === undefined || value.code === code);
}

const CKR_NAME = /\b(CKR_[A-Z0-9_]+)\b/;

/** The `CKR_…` name of a pkcs11js error, or `undefined` when the error did not come from the token. */
export function returnValueOf(error: unknown): string | undefined {
  if (!(error instanceof Error)) {
    return undefined;
  }
  return CKR_NAME.exec(error.message)?.[1];
}

/**
 * Wraps a foreign error once, at the seam: keeps an {@link HsmError} as it is, otherwise makes one with `code`,
 * the PKCS#11 return value name and the original error as `cause`.
 */
export function toHsmError(error: unknown, code: HsmErrorCode, message: string, tokenLabel?: string): HsmError {
  if (error instanceof HsmError) {
    return error;
  }
  const returnValue = returnValueOf(error);
  return new HsmError(code, message, {
    cause: error,
    tokenLabel,
    ...(returnValue === undefined ? {} : { returnValue }),
  });
}

/**
 * The KYC error a service should report for an HSM failure, without HSM details (they stay in `cause` for the
 * log): a malformed argument is the caller's KYC_INVALID_ARGUMENT, a missing key or library conflict is a
 * configuration fault (KYC_INTERNAL), everything else (busy, closed, token or library trouble) is
 * KYC_UNAVAILABLE, safe to retry.
 */
export function hsmErrorToKycError(error: HsmError): KycError {
  switch (error.code) {
    case 'HSM_INVALID_ARGUMENT':
      return new KycError('KYC_INVALID_ARGUMENT', 'invalid key material', { cause: error });
    case 'HSM_KEY_NOT_FOUND':
    case 'HSM_LIBRARY_CONFLICT':
      return new KycError('KYC_INTERNAL', 'the service is misconfigured', { cause: error });
    default:
      return new KycError('KYC_UNAVAILABLE', 'the HSM is unavailable', { cause: error });
  }
}
