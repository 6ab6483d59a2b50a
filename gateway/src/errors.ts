import { CommitError, GatewayError, StatusCode } from '@hyperledger/fabric-gateway';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { KycError, parseCodedMessage, type ErrorCode } from '../../protocol/src';
import { EnrollmentError, type EnrollmentErrorCode } from './enrollment';
import { FabricSetupError } from './fabric';
import { HsmError, hsmErrorToKycError } from './hsm';

/**
 * The one place where foreign errors become KYC errors and KYC errors become HTTP statuses. Fabric hands a
 * client only the chaincode's error message, inside GatewayError.details[].message; the chaincode starts
 * every message with a stable code, which is parsed here and nowhere else.
 */

const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  KYC_INVALID_ARGUMENT: 400,
  KYC_BAD_SIGNATURE: 401,
  KYC_FORBIDDEN: 403,
  KYC_NOT_FOUND: 404,
  KYC_CONFLICT: 409,
  KYC_EXPIRED: 410,
  KYC_REVOKED: 410,
  KYC_MISMATCH: 422,
  KYC_UNTRUSTED: 422,
  KYC_DECRYPTION_FAILED: 400,
  KYC_UNAUTHENTICATED: 401,
  KYC_RATE_LIMITED: 429,
  KYC_CAPACITY: 507,
  KYC_UNAVAILABLE: 503,
  KYC_INTERNAL: 500,
  KYC_UNREADABLE: 422,
};

/** The HTTP status a KYC error code maps to (docs/errors.md). */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** A KYC error raised while running a Fabric transaction: carries the transaction id when one exists. */
export class LedgerError extends KycError {
  constructor(
    code: ErrorCode,
    detail: string,
    readonly transactionId?: string,
    options?: ErrorOptions,
  ) {
    super(code, detail, options);
  }
}

/**
 * gRPC codes whose outcome is unknown or transient: a node or chaincode server went away mid-call (CANCELLED),
 * or did not answer in time. Retrying is safe: an endorsement changes nothing, and a prepared transaction
 * commits once however often it is sent.
 */
const RETRYABLE_GRPC = new Set<number>([
  GrpcStatus.CANCELLED,
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.RESOURCE_EXHAUSTED,
]);

/**
 * What fabric-shim answers, before the contract runs, to a call with the wrong number of arguments or an
 * unknown contract prefix: the caller's mistake, without a code (docs/errors.md, "Messages without a code").
 */
export const SHIM_ARGUMENT_ERRORS = [
  /Expected \d+ parameters, but \d+ have been supplied/,
  /Contract name is not known: /,
];

/**
 * What a peer answers when it cannot reach the chaincode (its server down or restarting, a call cut off):
 * nothing ran, so the caller may retry. Matched only in messages without a code: a chaincode's own refusal
 * always starts with one.
 */
export const CHAINCODE_UNREACHABLE = [
  /could not launch chaincode/,
  /chaincode stream terminated/,
  /timeout expired while executing transaction/,
];

function fromGatewayError(err: GatewayError, transactionId: string | undefined): KycError {
  const messages = [...err.details.map((detail) => detail.message), err.message];
  for (const message of messages) {
    const coded = parseCodedMessage(message);
    if (coded !== undefined) {
      return new LedgerError(coded.code, coded.detail, transactionId, { cause: err });
    }
  }
  if (messages.some((message) => SHIM_ARGUMENT_ERRORS.some((pattern) => pattern.test(message)))) {
    return new LedgerError('KYC_INVALID_ARGUMENT', 'the transaction was called with wrong arguments', transactionId, {
      cause: err,
    });
  }
  if (RETRYABLE_GRPC.has(err.code) || messages.some((m) => CHAINCODE_UNREACHABLE.some((p) => p.test(m)))) {
    return new LedgerError('KYC_UNAVAILABLE', 'the ledger did not answer in time; retry', transactionId, {
      cause: err,
    });
  }
  return new LedgerError('KYC_INTERNAL', 'the ledger refused the transaction', transactionId, { cause: err });
}

function fromCommitError(err: CommitError): KycError {
  // MVCC conflicts mean another transaction changed what this one read: the client may simply retry.
  if (err.code === StatusCode.MVCC_READ_CONFLICT || err.code === StatusCode.PHANTOM_READ_CONFLICT) {
    return new LedgerError('KYC_CONFLICT', 'a concurrent update changed the record; retry', err.transactionId, {
      cause: err,
    });
  }
  if (err.code === StatusCode.ENDORSEMENT_POLICY_FAILURE) {
    return new LedgerError('KYC_FORBIDDEN', 'the endorsements do not satisfy the policy', err.transactionId, {
      cause: err,
    });
  }
  return new LedgerError('KYC_INTERNAL', `the transaction was invalidated (code ${err.code})`, err.transactionId, {
    cause: err,
  });
}

const ENROLLMENT_CODES: Readonly<Record<EnrollmentErrorCode, ErrorCode>> = {
  ENROLLMENT_INVALID_ARGUMENT: 'KYC_INVALID_ARGUMENT',
  ENROLLMENT_CONFLICT: 'KYC_CONFLICT',
  ENROLLMENT_CA_REJECTED: 'KYC_CONFLICT',
  ENROLLMENT_CA_UNREACHABLE: 'KYC_UNAVAILABLE',
  ENROLLMENT_KEY_MISMATCH: 'KYC_INTERNAL',
  ENROLLMENT_STORE_FAILED: 'KYC_INTERNAL',
};

/**
 * Translates anything thrown while talking to the ledger, the HSM or the CA into a {@link KycError}.
 * KycErrors pass through unchanged.
 */
export function toKycError(err: unknown, transactionId?: string): KycError {
  if (err instanceof KycError) {
    return err;
  }
  if (err instanceof HsmError) {
    return hsmErrorToKycError(err);
  }
  if (err instanceof EnrollmentError) {
    return new KycError(ENROLLMENT_CODES[err.code], err.message, { cause: err });
  }
  if (err instanceof FabricSetupError) {
    const code = err.code === 'FABRIC_NOT_READY' ? 'KYC_UNAVAILABLE' : 'KYC_INTERNAL';
    return new KycError(code, 'the ledger connection is not ready or misconfigured', { cause: err });
  }
  if (err instanceof CommitError) {
    return fromCommitError(err);
  }
  if (err instanceof GatewayError) {
    return fromGatewayError(err, transactionId ?? transactionIdOf(err));
  }
  return new KycError('KYC_INTERNAL', 'unexpected failure', { cause: err });
}

function transactionIdOf(err: object): string | undefined {
  const id = (err as { transactionId?: unknown }).transactionId;
  return typeof id === 'string' ? id : undefined;
}
