import assert from 'node:assert/strict';
import { status } from '@grpc/grpc-js';
import { GatewayError, type Contract, type ProposalOptions } from '@hyperledger/fabric-gateway';
import { KycError, type PresentationTransient, type Receipt } from '../../../../protocol/src';
import {
  eraseAllReceipts,
  kycLedgerFrom,
  newKycLedger,
  type KycLedgerOptions,
} from '../../../../gateway/src/ledger/kyc-ledger';

interface Call {
  readonly via: 'submit' | 'evaluate';
  readonly name: string;
  readonly options: ProposalOptions;
}

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/**
 * A Contract and its Gateway that record each call and answer `answer(name)`. An endorsed transaction's bytes
 * name it; the gateway recreates it from them, and its submits commit successfully.
 */
function fakeNetwork(
  answer: (name: string) => unknown,
  calls: Call[],
): { contract: Contract; gateway: KycLedgerOptions['gateway']; channel: string } {
  const endorsed = new Map<string, { name: string; options: ProposalOptions }>();
  let next = 0;
  const transaction = (id: string) => {
    const { name, options } = endorsed.get(id) ?? { name: '', options: {} };
    return {
      getTransactionId: () => id,
      getBytes: () => encode(id),
      getResult: () => encode(answer(name)),
      submit: () => {
        calls.push({ via: 'submit', name, options });
        return Promise.resolve({
          getStatus: () => Promise.resolve({ successful: true, code: 0, transactionId: id, blockNumber: 1n }),
          getResult: () => encode(answer(name)),
        });
      },
    };
  };
  const contract = {
    newProposal: (name: string, options: ProposalOptions = {}) => ({
      endorse: () => {
        const id = `tx${String(++next)}`;
        endorsed.set(id, { name, options });
        return Promise.resolve(transaction(id));
      },
    }),
    evaluate: (name: string, options: ProposalOptions = {}) => {
      calls.push({ via: 'evaluate', name, options });
      return Promise.resolve(encode(answer(name)));
    },
  } as unknown as Contract;
  const gateway = {
    newTransaction: (bytes: Uint8Array) => transaction(JSON.parse(new TextDecoder().decode(bytes)) as string),
  } as unknown as KycLedgerOptions['gateway'];
  return { contract, gateway, channel: 'kyc' };
}

describe('gateway/ledger/kyc-ledger: the client derived from the ledger API table', () => {
  it('submits or evaluates each transaction as the table says, own-org ones endorsed by the caller alone', async () => {
    const calls: Call[] = [];
    const ledger = newKycLedger({ ...fakeNetwork(() => ({ ok: true }), calls), mspId: 'BankMSP' });
    await ledger.certify('did:key:zDnP', 'a.b.c', {
      schema: 'kyc.person.v1',
      level: 2,
      digests: [],
      validFrom: '2026-01-01T00:00:00.000Z',
      validUntil: '2027-01-01T00:00:00.000Z',
    });
    await ledger.isVerified('did:key:zDnP', 2, ['CertifierMSP']);
    await ledger.getUsage('', '');
    assert.deepEqual(
      calls.map((c) => [c.via, c.name, c.options.endorsingOrganizations]),
      [
        ['submit', 'Certify', undefined],
        ['evaluate', 'IsVerified', undefined],
        ['evaluate', 'GetUsage', ['BankMSP']],
      ],
    );
    assert.deepEqual(calls[1]?.options.arguments, ['did:key:zDnP', '2', '["CertifierMSP"]']);
  });

  it('sends the presentation in the transient map only, and returns the parsed result', async () => {
    const calls: Call[] = [];
    const ledger = newKycLedger({
      ...fakeNetwork(() => ({ verified: true, registrationId: 'r1' }), calls),
      mspId: 'BankMSP',
    });
    const presentation = { personId: 'did:key:zDnP', consent: 'c.o.n' } as unknown as PresentationTransient;
    const result = await ledger.verifyPresentation('r1', presentation);
    assert.equal(result.registrationId, 'r1');
    const call = calls[0]!;
    assert.deepEqual(call.options.arguments, ['r1']);
    assert.deepEqual(call.options.endorsingOrganizations, ['BankMSP']);
    assert.deepEqual(Object.keys(call.options.transientData ?? {}), ['presentation']);
  });

  it('turns a coded chaincode error into its KycError and reports each call to `observe`', async () => {
    const observed: string[] = [];
    // What fabric-gateway throws when the chaincode refuses: the coded message inside a peer's details.
    const refusal = new GatewayError({
      code: status.UNKNOWN,
      details: [{ address: 'peer0', mspId: 'BankMSP', message: 'KYC_NOT_FOUND: no attestation of kind identity' }],
      cause: Object.assign(new Error('grpc'), { code: status.UNKNOWN, details: '', metadata: undefined as never }),
      message: 'evaluate failed',
    });
    const contract = { evaluate: () => Promise.reject(refusal) } as unknown as Contract;
    const gateway = {
      newTransaction: () => assert.fail('nothing to commit'),
    } as unknown as KycLedgerOptions['gateway'];
    const ledger = newKycLedger({
      contract,
      gateway,
      channel: 'kyc',
      mspId: 'BankMSP',
      observe: (name) => observed.push(name),
    });
    await assert.rejects(
      ledger.getAttestation('did:key:zDnP', 'CertifierMSP', 'identity'),
      (err: unknown) => err instanceof KycError && err.code === 'KYC_NOT_FOUND',
    );
    assert.deepEqual(observed, ['GetAttestation']);
  });

  it('prepares a submit without ordering it, and commits those same bytes (same id) each time it is asked', async () => {
    const calls: Call[] = [];
    const ledger = newKycLedger({ ...fakeNetwork(() => ({ erased: 1 }), calls), mspId: 'BankMSP' });
    const prepared = await ledger.prepare('EraseReceipts', 'did:key:zDnP', ['r1']);
    assert.equal(prepared.name, 'EraseReceipts');
    assert.equal(calls.length, 0, 'nothing ordered by prepare');
    assert.deepEqual(await ledger.commit(prepared), { erased: 1 });
    assert.deepEqual(await ledger.commit(prepared), { erased: 1 });
    assert.deepEqual(
      calls.map((c) => [c.via, c.name]),
      [
        ['submit', 'EraseReceipts'],
        ['submit', 'EraseReceipts'],
      ],
    );
    // Commits of one id at once (a retry and the sweep) send it once and share the answer.
    const both = await Promise.all([ledger.commit(prepared), ledger.commit(prepared)]);
    assert.deepEqual(both, [{ erased: 1 }, { erased: 1 }]);
    assert.equal(calls.length, 3);
    await assert.rejects(
      ledger.commit({ ...prepared, id: 'another' }),
      (err: unknown) => err instanceof KycError && err.code === 'KYC_INTERNAL',
      'bytes that do not carry the stored id are refused',
    );
  });

  it('answers from the commit status when the orderers refuse a transaction they already ordered (SmartBFT)', async () => {
    // What a SmartBFT orderer answers to a transaction it has processed: UNAVAILABLE, "request already processed".
    const refused = Object.assign(new Error('14 UNAVAILABLE: request already processed'), {
      name: 'SubmitError',
      code: status.UNAVAILABLE,
    });
    let submits = 0;
    let probes = 0;
    const tx = {
      getTransactionId: () => 'tx9',
      getBytes: () => encode('tx9'),
      getResult: () => encode({ erased: 1 }),
      submit: () => {
        submits++;
        return Promise.reject(refused);
      },
    };
    const contract = { newProposal: () => ({ endorse: () => Promise.resolve(tx) }) } as unknown as Contract;
    const gateway = {
      newTransaction: () => tx,
      getIdentity: () => ({ mspId: 'BankMSP', credentials: new Uint8Array([1]) }),
      newCommit: () => ({
        getStatus: () => {
          probes++;
          return Promise.resolve({ successful: true, code: 0, transactionId: 'tx9', blockNumber: 3n });
        },
      }),
    } as unknown as KycLedgerOptions['gateway'];
    const ledger = newKycLedger({ contract, gateway, channel: 'kyc', mspId: 'BankMSP' });
    const prepared = await ledger.prepare('EraseReceipts', 'did:key:zDnP', ['r1']);
    assert.deepEqual(await ledger.commit(prepared), { erased: 1 });
    assert.equal(submits, 1, 'not sent again once its status is known');
    assert.ok(probes >= 1);
  });

  it('erases all receipts in batches of at most 100 registration ids', async () => {
    const receipts = Array.from({ length: 250 }, (_, i) => ({ registrationId: `r${String(i)}` }) as Receipt);
    const batches: number[] = [];
    const ledger = kycLedgerFrom({
      evaluate: () => Promise.resolve(receipts),
      prepare: (name, args) => Promise.resolve({ name, id: 'tx', bytes: JSON.stringify(args) }),
      commit: ({ bytes }) => {
        const [personId, ids] = JSON.parse(bytes) as [string, string[]];
        batches.push(ids.length);
        return Promise.resolve({ personId, erased: ids.length });
      },
    });
    assert.deepEqual(await eraseAllReceipts(ledger, 'did:key:zDnP'), { personId: 'did:key:zDnP', erased: 250 });
    assert.deepEqual(batches, [100, 100, 50]);
  });
});
