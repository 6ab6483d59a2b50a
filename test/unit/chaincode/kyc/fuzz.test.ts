import '../quiet-logs';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JSONSerializer } from 'fabric-contract-api';
import ChaincodeFromContract from 'fabric-shim/lib/contract-spi/chaincodefromcontract';
import { ERROR_CODES, KYC_TRANSACTIONS } from '../../../../protocol/src';
import { contracts as kycContracts } from '../../../../chaincode/src/kyc';
import { PRESENTATION_TRANSIENT_KEY } from '../../../../chaincode/src/kyc/presentation-input';
import { issueCertificate } from '../certificates';
import { CALLERS, CERTIFIER_MSP, FakeLedger, TEST_MEMBERS } from '../fakes';
import { certificationRequest, commitment, decoyDigest, newPerson } from '../fixtures';
import { DAY, iso } from './world';
import { SHIM_ARGUMENT_ERRORS } from '../../../../gateway/src/errors';
import { hostileArgument } from '../../../support/hostile';

/**
 * Hostile input at volume through fabric-shim's real dispatcher (issue #14): every transaction of the ledger
 * API with generated arguments (wrong count, hostile strings, broken JSON, prototype keys, huge values, the
 * right shapes with wrong contents, a real person's id), from callers of every role, with and without a
 * transient presentation. Pass: each answer is a success or a refusal whose message starts with a documented
 * KYC_ code (or is one of fabric-shim's own argument-count messages, which come before the contract runs and
 * which the gateways map to KYC_INVALID_ARGUMENT: docs/errors.md); no submit transaction succeeds on such input; nothing is committed. KYC_FUZZ_PER_TX sets the count
 * per transaction (unit runs: 1000, 11,000 calls in about 6 s; the soak: 10000); KYC_FUZZ_SEED replays a run.
 */

const PER_TX = Number(process.env.KYC_FUZZ_PER_TX ?? 1000);
const SEED = Number(process.env.KYC_FUZZ_SEED ?? Date.now() % 2_147_483_647);
const SERIALIZERS = { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } };
const CODED = new RegExp(`^(${ERROR_CODES.join('|')}): `);

describe('kyc contract under hostile input at volume (fabric-shim dispatcher, fuzzing)', function () {
  this.timeout(300_000);
  let chaincode: ChaincodeFromContract;
  let callers: { caller: (typeof CALLERS)[keyof typeof CALLERS]; certificate: string }[];

  before(() => {
    chaincode = new ChaincodeFromContract([...kycContracts], SERIALIZERS, {}, 'kyc', '0.1.0');
    callers = [
      { caller: CALLERS.certifierOfficer, certificate: issueCertificate('officer1', { 'kyc.role': 'certifier' }) },
      { caller: CALLERS.bankVerifier, certificate: issueCertificate('verifier1', { 'kyc.role': 'bank-verifier' }) },
      { caller: CALLERS.bankClerk, certificate: issueCertificate('teller1') },
      { caller: CALLERS.outsider, certificate: issueCertificate('someone', { 'kyc.role': 'certifier' }) },
    ];
  });

  // The shared hostile arguments, plus a value over 64 KiB.
  const hostile = fc.oneof(hostileArgument, fc.constant('x'.repeat(70_000)));

  it(`refuses ${PER_TX} hostile calls per transaction with coded messages, succeeds at no write, commits nothing (seed ${SEED})`, async () => {
    const ledger = new FakeLedger();
    // The consortium, founded by a real admin certificate (no caller below is an admin).
    const found = ledger.tx({
      caller: CALLERS.certifierAdmin,
      certificate: issueCertificate('admin1', undefined, 'admin'),
      args: ['FoundConsortium', JSON.stringify(TEST_MEMBERS)],
    });
    assert.equal((await chaincode.invokeFunctionality(found.stub)).status, 200);
    await ledger.submit(found, () => Promise.resolve());
    // One real record, so calls naming its person reach the checks behind the lookup.
    const person = newPerson();
    const request = await certificationRequest(person, { aud: CERTIFIER_MSP, kind: 'identity', at: ledger.now });
    const certify = ledger.tx({
      caller: CALLERS.certifierOfficer,
      certificate: callers[0]?.certificate ?? '',
      args: [
        'Certify',
        person.did,
        request,
        commitment({ digests: [decoyDigest()], validFrom: iso(ledger.now), validUntil: iso(ledger.now + DAY) }),
      ],
    });
    assert.equal((await chaincode.invokeFunctionality(certify.stub)).status, 200);
    await ledger.submit(certify, () => Promise.resolve());
    const committed = ledger.snapshot();

    const failures: string[] = [];
    let calls = 0;
    for (const [index, [name, spec]] of Object.entries(KYC_TRANSACTIONS).entries()) {
      const cases = fc.sample(
        fc.record({
          args: fc.array(fc.oneof(hostile, fc.constant(person.did)), { maxLength: spec.params.length + 2 }),
          caller: fc.integer({ min: 0, max: callers.length - 1 }),
          transient: fc.option(hostile, { nil: undefined }),
          prefixed: fc.boolean(),
        }),
        { numRuns: PER_TX, seed: SEED + index },
      );
      for (const c of cases) {
        const who = callers[c.caller] ?? callers[0];
        if (who === undefined) continue;
        const tx = ledger.tx({
          caller: who.caller,
          certificate: who.certificate,
          args: [c.prefixed ? `kyc:${name}` : name, ...c.args],
          ...(c.transient === undefined ? {} : { transient: { [PRESENTATION_TRANSIENT_KEY]: c.transient } }),
        });
        calls += 1;
        const response = await chaincode.invokeFunctionality(tx.stub);
        if (response.status === 200) {
          if (spec.kind === 'submit') failures.push(`${name}(${JSON.stringify(c.args).slice(0, 120)}) succeeded`);
          // Committed as the peer would: an evaluate that wrote anything shows in the snapshot below.
          await ledger.submit(tx, () => Promise.resolve());
        } else if (!CODED.test(response.message) && !SHIM_ARGUMENT_ERRORS.some((re) => re.test(response.message))) {
          failures.push(`${name} → ${response.status} "${response.message.slice(0, 120)}"`);
        }
      }
    }
    assert.ok(calls >= PER_TX * Object.keys(KYC_TRANSACTIONS).length);
    assert.deepEqual(failures.slice(0, 10), [], `seed ${SEED}`);
    // Nothing reached the ledger: only the one certification committed above is there.
    assert.ok(ledger.snapshot() === committed, 'the ledger changed');
  });
});
