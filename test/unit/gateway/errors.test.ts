import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { CommitError, GatewayError, StatusCode } from '@hyperledger/fabric-gateway';
import { ERROR_CODES, KycError } from '../../../protocol/src';
import { LedgerError, httpStatusOf, toKycError } from '../../../gateway/src/errors';
import { HsmError } from '../../../gateway/src/hsm';

/** The one translation of foreign errors into KYC codes, and of codes into HTTP statuses. */

function gatewayError(code: status, details: string[], message = 'gateway'): GatewayError {
  return new GatewayError({
    code,
    details: details.map((detail) => ({ address: 'peer0', mspId: 'BankMSP', message: detail })),
    cause: Object.assign(new Error('grpc'), { code, details: '', metadata: undefined as never }),
    message,
  });
}

describe('gateway errors', () => {
  it('maps every code to a status, the documented ones exactly', () => {
    for (const code of ERROR_CODES) {
      const httpStatus = httpStatusOf(code);
      assert.ok(httpStatus >= 400 && httpStatus < 600, `${code} → ${httpStatus}`);
    }
    assert.equal(httpStatusOf('KYC_NOT_FOUND'), 404);
    assert.equal(httpStatusOf('KYC_MISMATCH'), 422);
    assert.equal(httpStatusOf('KYC_CAPACITY'), 507);
  });

  it('passes a KycError through unchanged', () => {
    const error = new KycError('KYC_REVOKED', 'revoked');
    assert.equal(toKycError(error), error);
  });

  it("reads the chaincode's code out of the gateway error details, with the transaction id", () => {
    const error = toKycError(gatewayError(status.ABORTED, ['chaincode response 500, KYC_NOT_FOUND: no record']), 'tx9');
    assert.ok(error instanceof LedgerError);
    assert.equal(error.code, 'KYC_NOT_FOUND');
    assert.equal(error.detail, 'no record');
    assert.equal(error.transactionId, 'tx9');
  });

  it("maps fabric-shim's uncoded argument refusals to KYC_INVALID_ARGUMENT, as docs/errors.md promises", () => {
    for (const message of [
      'chaincode response 500, Expected 3 parameters, but 1 have been supplied',
      'chaincode response 500, Contract name is not known: foo',
    ]) {
      assert.equal(toKycError(gatewayError(status.ABORTED, [message])).code, 'KYC_INVALID_ARGUMENT', message);
    }
  });

  it('maps timeouts, unavailability and calls cut off by a node going away to KYC_UNAVAILABLE, anything else uncoded to KYC_INTERNAL', () => {
    assert.equal(toKycError(gatewayError(status.UNAVAILABLE, [])).code, 'KYC_UNAVAILABLE');
    assert.equal(toKycError(gatewayError(status.CANCELLED, [])).code, 'KYC_UNAVAILABLE');
    assert.equal(toKycError(gatewayError(status.DEADLINE_EXCEEDED, [])).code, 'KYC_UNAVAILABLE');
    assert.equal(toKycError(gatewayError(status.ABORTED, ['something else'])).code, 'KYC_INTERNAL');
    // What a peer says when the chaincode server is down: nothing ran, retry.
    const down =
      'error in simulation: failed to execute transaction 9f: could not launch chaincode kyc_1:ab: connection to kyc_1:ab failed: ' +
      'dial tcp 127.0.0.1:9060: connect: connection refused';
    assert.equal(toKycError(gatewayError(status.ABORTED, [down])).code, 'KYC_UNAVAILABLE');
  });

  it('maps commit failures: MVCC conflicts are retryable conflicts, policy failures are forbidden', () => {
    const commit = (code: number) => new CommitError({ code: code as never, transactionId: 'tx1' });
    assert.equal(toKycError(commit(StatusCode.MVCC_READ_CONFLICT)).code, 'KYC_CONFLICT');
    assert.equal(toKycError(commit(StatusCode.ENDORSEMENT_POLICY_FAILURE)).code, 'KYC_FORBIDDEN');
    const other = toKycError(commit(StatusCode.BAD_PAYLOAD));
    assert.ok(other instanceof LedgerError);
    assert.equal(other.code, 'KYC_INTERNAL');
    assert.equal(other.transactionId, 'tx1');
  });

  it('maps HSM failures and anything unknown without leaking their text', () => {
    assert.equal(toKycError(new HsmError('HSM_TOKEN_NOT_FOUND', 'no token')).code, 'KYC_UNAVAILABLE');
    const unknown = toKycError(new Error('secret detail /path/to/pin'));
    assert.equal(unknown.code, 'KYC_INTERNAL');
    assert.ok(!unknown.message.includes('secret'));
  });
});
