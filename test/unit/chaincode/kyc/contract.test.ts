import '../quiet-logs';
import assert from 'node:assert/strict';
import { JSONSerializer } from 'fabric-contract-api';
import ChaincodeFromContract from 'fabric-shim/lib/contract-spi/chaincodefromcontract';
import { KYC_TRANSACTIONS, KycError } from '../../../../protocol/src';
import { contracts as kycContracts } from '../../../../chaincode/src/kyc';
import { KycContract } from '../../../../chaincode/src/kyc/contract';
import { PRESENTATION_TRANSIENT_KEY } from '../../../../chaincode/src/kyc/presentation-input';
import { issueCertificate } from '../certificates';
import { CALLERS, CERTIFIER_MSP, FakeLedger, TEST_MEMBERS, rejectsWithCode } from '../fakes';
import type { FakeTransaction } from '../fakes';
import { certificationRequest, commitment, decoyDigest, newPerson } from '../fixtures';
import { DAY, iso } from './world';

/** fabric-contract-api types the function name of aroundTransaction as a Function; at run time it is the name. */
type FunctionName = Parameters<KycContract['aroundTransaction']>[1];
const GET_ATTESTATIONS = 'GetAttestations' as unknown as FunctionName;

const SERIALIZERS = { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } };

describe('kyc contract as fabric-shim runs it', () => {
  let chaincode: ChaincodeFromContract;
  let ledger: FakeLedger;
  let officerCertificate: string;
  let clerkCertificate: string;
  let adminCertificate: string;

  before(() => {
    // fabric-shim instantiates the contract with no arguments: its roles are on the ledger.
    // A copy: fabric-shim appends its system contract to the array it is given.
    chaincode = new ChaincodeFromContract([...kycContracts], SERIALIZERS, {}, 'kyc', '0.1.0');
    officerCertificate = issueCertificate('officer1', { 'kyc.role': 'certifier', 'hf.EnrollmentID': 'officer1' });
    clerkCertificate = issueCertificate('clerk1');
    adminCertificate = issueCertificate('admin1', undefined, 'admin');
  });

  function foundTx(certificate: string) {
    return ledger.tx({
      caller: CALLERS.certifierAdmin,
      certificate,
      args: ['FoundConsortium', JSON.stringify(TEST_MEMBERS)],
    });
  }

  beforeEach(async () => {
    ledger = new FakeLedger();
    // The consortium is founded through fabric-shim's real ClientIdentity, by an OU=admin certificate.
    const response = await dispatch(foundTx(adminCertificate));
    assert.equal(response.status, 200, response.message);
  });

  /** Runs a proposal through fabric-shim's dispatcher; commits it when it succeeds, as the peer would. */
  async function dispatch(tx: FakeTransaction) {
    const response = await chaincode.invokeFunctionality(tx.stub);
    if (response.status === 200) {
      await ledger.submit(tx, () => Promise.resolve());
    }
    return response;
  }

  async function certifyThroughShim(certificate = officerCertificate) {
    const person = newPerson();
    const requestJws = await certificationRequest(person, { aud: CERTIFIER_MSP, kind: 'identity', at: ledger.now });
    const args = [
      'Certify',
      person.did,
      requestJws,
      commitment({ digests: [decoyDigest()], validFrom: iso(ledger.now), validUntil: iso(ledger.now + DAY) }),
    ];
    const tx = ledger.tx({ caller: CALLERS.certifierOfficer, certificate, args });
    return { person, tx, response: await dispatch(tx) };
  }

  it('exports the KYC contract first, so it is the default contract', () => {
    assert.deepEqual(kycContracts, [KycContract]);
    assert.equal(chaincode.defaultContractName, 'kyc');
    assert.deepEqual(chaincode._splitFunctionName('IsVerified'), { contractName: 'kyc', function: 'IsVerified' });
    assert.deepEqual(chaincode._splitFunctionName('kyc:IsVerified'), { contractName: 'kyc', function: 'IsVerified' });
  });

  it('implements exactly the ledger API table: names, parameters, submit/evaluate, string parameters and results', () => {
    const transactions = chaincode.metadata.contracts.kyc?.transactions ?? [];
    const summary = Object.fromEntries(
      transactions.map((t) => [
        t.name,
        { evaluate: t.tag.includes('EVALUATE'), params: t.parameters?.map((p) => p.name) },
      ]),
    );
    // The contract implements exactly the ledger API table (protocol/src/ledger-api.ts); transient
    // parameters travel in the transient map, so the contract does not declare them.
    const expected = Object.fromEntries(
      Object.entries(KYC_TRANSACTIONS).map(([name, spec]) => [
        name,
        {
          evaluate: spec.kind === 'evaluate',
          params: spec.params.filter((p) => p.encoding !== 'transient').map((p) => p.name),
        },
      ]),
    );
    assert.deepEqual(summary, expected);
    const transient = KYC_TRANSACTIONS.VerifyPresentation.params.find((p) => p.encoding === 'transient');
    assert.equal(transient?.name, PRESENTATION_TRANSIENT_KEY);
    for (const transaction of transactions) {
      assert.equal(transaction.returns?.type, 'string', transaction.name);
      assert.ok(
        transaction.parameters?.every((p) => p.schema.type === 'string'),
        transaction.name,
      );
    }
  });

  it('certifies with a real enrollment certificate carrying kyc.role=certifier', async () => {
    const { person, response } = await certifyThroughShim();
    assert.equal(response.status, 200, response.message);
    const record = JSON.parse(response.payload.toString('utf8'));
    assert.equal(record.personId, person.did);
    // getID(): the subject, then the issuer (the test CA), as fabric-shim formats them.
    assert.equal(record.certifiedBy, 'x509::/O=Test/OU=client/CN=officer1::/O=Test/CN=ca.Test');
  });

  it('founds the consortium only for a real OU=admin certificate, and only once', async () => {
    ledger = new FakeLedger();
    const refused = await dispatch(foundTx(officerCertificate));
    assert.equal(refused.status, 500);
    assert.match(refused.message, /^KYC_FORBIDDEN: caller is not an admin of organisation CertifierMSP/);
    const founded = await dispatch(foundTx(adminCertificate));
    assert.equal(founded.status, 200, founded.message);
    const consortium = JSON.parse(founded.payload.toString('utf8'));
    assert.deepEqual(
      consortium.members.map((m: { msp: string; role: string; status: string }) => [m.msp, m.role, m.status]),
      [
        ['BankMSP', 'bank', 'active'],
        ['CertifierMSP', 'certifier', 'active'],
        ['OtherBankMSP', 'bank', 'active'],
        ['OtherCertifierMSP', 'certifier', 'active'],
      ],
    );
    const again = await dispatch(foundTx(adminCertificate));
    assert.match(again.message, /^KYC_CONFLICT: the consortium is already founded/);
  });

  it('refuses a real certificate without the role attribute with a coded message', async () => {
    const { response, tx } = await certifyThroughShim(clerkCertificate);
    assert.equal(response.status, 500);
    assert.match(response.message, /^KYC_FORBIDDEN: caller's certificate lacks kyc\.role=certifier/);
    assert.deepEqual(tx.stub.writes, []);
  });

  it('answers IsVerified with or without the contract prefix (other chaincodes use the bare name)', async () => {
    const { person } = await certifyThroughShim();
    const answers = await Promise.all(
      ['IsVerified', 'kyc:IsVerified'].map(async (fcn) => {
        const tx = ledger.tx({
          caller: CALLERS.outsider,
          certificate: clerkCertificate,
          args: [fcn, person.did, '1', JSON.stringify([CERTIFIER_MSP])],
          txId: 'same',
        });
        const response = await chaincode.invokeFunctionality(tx.stub);
        assert.equal(response.status, 200, response.message);
        return response.payload.toString('utf8');
      }),
    );
    assert.equal(answers[0], answers[1]);
    assert.equal(JSON.parse(answers[0] ?? '').verified, true);
  });

  it('reports an unknown transaction with KYC_INVALID_ARGUMENT', async () => {
    const tx = ledger.tx({ caller: CALLERS.outsider, certificate: clerkCertificate, args: ['DropTable', 'x'] });
    const response = await chaincode.invokeFunctionality(tx.stub);
    assert.equal(response.status, 500);
    assert.equal(response.message, "KYC_INVALID_ARGUMENT: unknown transaction 'DropTable'");
  });

  it('leaves a wrong number of arguments to fabric-shim, whose message carries no code', async () => {
    const tx = ledger.tx({ caller: CALLERS.outsider, certificate: clerkCertificate, args: ['IsVerified', 'x'] });
    const response = await chaincode.invokeFunctionality(tx.stub);
    assert.equal(response.status, 500);
    assert.match(response.message, /^Expected 3 parameters, but 1 have been supplied/);
  });

  it('turns an unexpected failure into KYC_INTERNAL without detail, and logs the cause', async () => {
    const contract = new KycContract();
    const tx = ledger.tx({ caller: CALLERS.outsider });
    tx.stub.getStateByPartialCompositeKey = () => {
      throw new Error('peer connection lost: secret detail');
    };
    const error = await rejectsWithCode(
      contract.aroundTransaction(tx.ctx, GET_ATTESTATIONS, [newPerson().did]),
      'KYC_INTERNAL',
    );
    assert.equal(error.detail, `unexpected failure in transaction ${tx.txId}`);
    assert.ok(tx.logger.lines.some((line) => line.includes('secret detail')));
  });

  it('passes coded errors through aroundTransaction unchanged, and results too', async () => {
    const contract = new KycContract();
    const tx = ledger.tx({ caller: CALLERS.outsider });
    const error = await rejectsWithCode(
      contract.aroundTransaction(tx.ctx, GET_ATTESTATIONS, ['x']),
      'KYC_INVALID_ARGUMENT',
    );
    assert.ok(error instanceof KycError);
    // Typed Promise<void> by fabric-contract-api, but it resolves to the transaction's result.
    const around = contract.aroundTransaction(tx.ctx, GET_ATTESTATIONS, [newPerson().did]) as Promise<unknown>;
    assert.equal(await around, '[]');
  });
});
