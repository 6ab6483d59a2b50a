/**
 * The stable error codes of the KYC protocol and ledger. The chaincode prefixes every error message with one
 * of them (`KYC_NOT_FOUND: no attestation ...`), the gateways parse them back out of Fabric's error details in
 * one place and map them to HTTP statuses, and the wallet uses the same codes for the checks it makes itself.
 * Documented in docs/errors.md; never rename a code, only add.
 */
export const ERROR_CODES = [
  /** Malformed or out-of-range input: types, formats, lengths, sizes. Nothing was written. */
  'KYC_INVALID_ARGUMENT',
  /** The caller's certificate does not allow this operation (wrong organisation or missing role). */
  'KYC_FORBIDDEN',
  /** The record, registration or other object does not exist. */
  'KYC_NOT_FOUND',
  /** The operation clashes with the current state: record exists, request or registration already used. */
  'KYC_CONFLICT',
  /** A signed object or record is outside its validity window. */
  'KYC_EXPIRED',
  /** The attestation was revoked by its certifier. */
  'KYC_REVOKED',
  /** A signature does not verify, or was made by the wrong key. */
  'KYC_BAD_SIGNATURE',
  /** Disclosures do not match the record's commitment or the consent that covers them. */
  'KYC_MISMATCH',
  /** The attestation's certifier is not trusted, or its assurance level is below the required minimum. */
  'KYC_UNTRUSTED',
  /** A presentation could not be decrypted. */
  'KYC_DECRYPTION_FAILED',
  /** A service endpoint needs credentials (an officer's or admin's bearer token) that were missing or wrong. */
  'KYC_UNAUTHENTICATED',
  /** Too many requests from this client; retry after the time the response names. */
  'KYC_RATE_LIMITED',
  /**
   * The service holds as much pending state (nonces, certifications, registrations) as it is configured to;
   * nothing was stored. Retry later.
   */
  'KYC_CAPACITY',
  /** The service could not complete the operation (ledger unreachable, HSM failure). Safe to retry. */
  'KYC_UNAVAILABLE',
  /** An unexpected failure; the message carries no detail meant for clients. */
  'KYC_INTERNAL',
  /**
   * An image holds nothing the intake engine can read: no machine-readable zone, no face. Nothing was kept;
   * a better photo may succeed.
   */
  'KYC_UNREADABLE',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const CODE_SET: ReadonlySet<string> = new Set(ERROR_CODES);

/** True when `value` is one of {@link ERROR_CODES}. */
export function isErrorCode(value: string): value is ErrorCode {
  return CODE_SET.has(value);
}

/**
 * An error whose message starts with a stable code: `"<CODE>: <message>"`. Fabric hands only the message of
 * a chaincode error to clients, so the code must live in the message text.
 */
export class KycError extends Error {
  override readonly name = 'KycError';

  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    options?: ErrorOptions,
  ) {
    super(`${code}: ${detail}`, options);
  }
}

const CODED_MESSAGE = /^(KYC_[A-Z_]+): ?([\s\S]*)$/;

/**
 * Reads the code back out of a coded message (`"KYC_NOT_FOUND: ..."`), also when Fabric has wrapped it in
 * text of its own (`"chaincode response 500, KYC_NOT_FOUND: ..."`).
 *
 * @returns the code and the rest of the message, or `undefined` when the message carries no known code.
 */
export function parseCodedMessage(message: string): { code: ErrorCode; detail: string } | undefined {
  const start = message.indexOf('KYC_');
  if (start < 0) {
    return undefined;
  }
  const match = CODED_MESSAGE.exec(message.slice(start));
  const code = match?.[1];
  if (match === null || code === undefined || !isErrorCode(code)) {
    return undefined;
  }
  return { code, detail: match[2] ?? '' };
}
