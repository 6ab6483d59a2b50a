import '../quiet-logs';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JSONSerializer } from 'fabric-contract-api';
import type { Context } from 'fabric-contract-api';
import ChaincodeFromContract from 'fabric-shim/lib/contract-spi/chaincodefromcontract';
import { TicketsContract } from '../../../../chaincode/src/tickets/contract';
import { contracts as ticketsContracts } from '../../../../chaincode/src/tickets';
import {
  BANK_MSP,
  CALLERS,
  CERTIFIER_MSP,
  FakeLedger,
  assertCodedError,
  assertNothingWritten,
  assertRefused,
  contractHandler,
  rejectsWithCode,
} from '../fakes';
import type { Caller } from '../fakes';
import { newPerson } from '../fixtures';
import { KycWorld, iso } from '../kyc/world';

describe('tickets: a KYC-gated ticket sale', () => {
  let kyc: KycWorld;
  let ledger: FakeLedger;
  let tickets: TicketsContract;

  beforeEach(async () => {
    kyc = await KycWorld.founded();
    ledger = new FakeLedger();
    ledger.linkChaincode('kyc', contractHandler(kyc.ledger, kyc.contract, 'kyc'));
    tickets = new TicketsContract({});
  });

  /** The seller's staff on the seller's own peer. */
  function sellerTx(caller: Caller = CALLERS.bankClerk, peerMsp: string = caller.mspId) {
    return ledger.tx({ caller, peerMsp });
  }

  async function createEvent(capacity = '2', minLevel = '2', trusted = [CERTIFIER_MSP], eventId = 'concert-1') {
    return JSON.parse(
      await ledger.submit(sellerTx(), (ctx) =>
        tickets.CreateEvent(ctx, eventId, 'Spring Concert', capacity, minLevel, JSON.stringify(trusted)),
      ),
    ) as Record<string, unknown>;
  }

  function buy(personId: string, tx = sellerTx(), eventId = 'concert-1') {
    return ledger.submit(tx, (ctx) => tickets.BuyTicket(ctx, eventId, personId));
  }

  it('is the default contract of its chaincode, with submit and evaluate transactions', () => {
    assert.deepEqual(ticketsContracts, [TicketsContract]);
    const serializers = { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } };
    const chaincode = new ChaincodeFromContract([...ticketsContracts], serializers, {}, 'tickets', '0.1.0');
    assert.equal(chaincode.defaultContractName, 'tickets');
    const transactions = chaincode.metadata.contracts.tickets?.transactions ?? [];
    assert.deepEqual(
      transactions.map((t) => [t.name, t.tag.includes('EVALUATE') ? 'evaluate' : 'submit', t.returns?.type]),
      [
        ['CreateEvent', 'submit', 'string'],
        ['BuyTicket', 'submit', 'string'],
        ['GetEvent', 'evaluate', 'string'],
        ['GetTicket', 'evaluate', 'string'],
      ],
    );
  });

  describe('CreateEvent', () => {
    it('puts an event on sale for the calling organisation', async () => {
      const event = await createEvent('100', '3', ['OtherCertifierMSP', CERTIFIER_MSP]);
      assert.deepEqual(event, {
        docType: 'tickets.event',
        eventId: 'concert-1',
        name: 'Spring Concert',
        capacity: 100,
        sold: 0,
        minLevel: 3,
        trustedCertifiers: [CERTIFIER_MSP, 'OtherCertifierMSP'],
        seller: BANK_MSP,
        createdBy: CALLERS.bankClerk.id,
        createdAt: iso(ledger.now),
        updatedAt: iso(ledger.now),
      });
      const stored = await ledger.evaluate(sellerTx(CALLERS.outsider), (ctx) => tickets.GetEvent(ctx, 'concert-1'));
      assert.deepEqual(JSON.parse(stored), event);
    });

    it('refuses an existing event id', async () => {
      await createEvent();
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.CreateEvent(ctx, 'concert-1', 'Again', '5', '1', '["CertifierMSP"]'),
        'KYC_CONFLICT',
      );
    });

    it("refuses a caller on another organisation's peer", async () => {
      await assertRefused(
        ledger,
        sellerTx(CALLERS.bankClerk, CERTIFIER_MSP),
        (ctx) => tickets.CreateEvent(ctx, 'concert-1', 'Spring', '5', '1', '["CertifierMSP"]'),
        'KYC_FORBIDDEN',
      );
    });

    const invalid: [string, string[]][] = [
      ['a malformed event id', ['concert 1', 'Spring', '5', '1', '["CertifierMSP"]']],
      ['an empty name', ['concert-1', '', '5', '1', '["CertifierMSP"]']],
      ['a name with control characters', ['concert-1', 'Spring\nConcert', '5', '1', '["CertifierMSP"]']],
      ['a name over 200 characters', ['concert-1', 'x'.repeat(201), '5', '1', '["CertifierMSP"]']],
      ['capacity 0', ['concert-1', 'Spring', '0', '1', '["CertifierMSP"]']],
      ['capacity over 100000', ['concert-1', 'Spring', '100001', '1', '["CertifierMSP"]']],
      ['a capacity with leading zero', ['concert-1', 'Spring', '05', '1', '["CertifierMSP"]']],
      ['a negative capacity', ['concert-1', 'Spring', '-5', '1', '["CertifierMSP"]']],
      ['level 4', ['concert-1', 'Spring', '5', '4', '["CertifierMSP"]']],
      ['an empty trust list', ['concert-1', 'Spring', '5', '1', '[]']],
      ['a trust list that is not JSON', ['concert-1', 'Spring', '5', '1', 'CertifierMSP']],
    ];
    for (const [title, args] of invalid) {
      it(`refuses ${title}`, async () => {
        const [eventId = '', name = '', capacity = '', minLevel = '', trusted = ''] = args;
        await assertRefused(
          ledger,
          sellerTx(),
          (ctx) => tickets.CreateEvent(ctx, eventId, name, capacity, minLevel, trusted),
          'KYC_INVALID_ARGUMENT',
        );
      });
    }
  });

  describe('BuyTicket', () => {
    it('sells a ticket to a verified person and asks kyc IsVerified with the event’s terms', async () => {
      await createEvent();
      const certified = await kyc.certify({ level: 2 });
      const tx = sellerTx();
      const ticket = JSON.parse(await buy(certified.person.did, tx));
      assert.deepEqual(ticket, {
        docType: 'tickets.ticket',
        eventId: 'concert-1',
        personId: certified.person.did,
        seat: 1,
        seller: BANK_MSP,
        purchasedAt: iso(ledger.now),
        txId: tx.txId,
        kyc: { certifier: CERTIFIER_MSP, kind: 'identity', level: 2, version: 1 },
      });
      assert.deepEqual(tx.stub.invocations, [
        { chaincode: 'kyc', args: ['IsVerified', certified.person.did, '2', '["CertifierMSP"]'] },
      ]);
      const event = JSON.parse(await ledger.evaluate(sellerTx(), (ctx) => tickets.GetEvent(ctx, 'concert-1')));
      assert.equal(event.sold, 1);
      const stored = await ledger.evaluate(sellerTx(), (ctx) =>
        tickets.GetTicket(ctx, 'concert-1', certified.person.did),
      );
      assert.deepEqual(JSON.parse(stored), ticket);
    });

    it('refuses a person who is not KYC-verified, with the reason', async () => {
      await createEvent();
      const stranger = newPerson();
      const error = await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', stranger.did),
        'KYC_FORBIDDEN',
      );
      assert.equal(error.message, `KYC_FORBIDDEN: person ${stranger.did} is not KYC-verified (no-attestation)`);
    });

    it('refuses a person whose attestation is below the level or revoked', async () => {
      await createEvent('5', '3');
      const low = await kyc.certify({ level: 2 });
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', low.person.did),
        'KYC_FORBIDDEN',
        /level-too-low/,
      );
      const revoked = await kyc.certify({ level: 3 });
      await kyc.ledger.submit(kyc.ledger.tx({ caller: CALLERS.certifierOfficer }), (ctx) =>
        kyc.contract.Revoke(ctx, revoked.person.did, 'identity', 'fraud-suspected'),
      );
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', revoked.person.did),
        'KYC_FORBIDDEN',
        /revoked/,
      );
    });

    it('sells one ticket per person per event', async () => {
      await createEvent();
      const certified = await kyc.certify();
      await buy(certified.person.did);
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', certified.person.did),
        'KYC_CONFLICT',
        /already has a ticket/,
      );
    });

    it('stops at capacity', async () => {
      await createEvent('2');
      for (let i = 0; i < 2; i += 1) {
        await buy((await kyc.certify()).person.did);
      }
      const late = await kyc.certify();
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', late.person.did),
        'KYC_CONFLICT',
        /sold out/,
      );
    });

    it('refuses an unknown event and malformed arguments', async () => {
      const certified = await kyc.certify();
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'nope', certified.person.did),
        'KYC_NOT_FOUND',
      );
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'bad id', certified.person.did),
        'KYC_INVALID_ARGUMENT',
      );
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', 'did:key:zDn'),
        'KYC_INVALID_ARGUMENT',
      );
    });

    it('lets only the seller sell, on its own peer', async () => {
      await createEvent();
      const certified = await kyc.certify();
      await assertRefused(
        ledger,
        sellerTx(CALLERS.otherBankVerifier),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', certified.person.did),
        'KYC_FORBIDDEN',
        /is sold by BankMSP/,
      );
      await assertRefused(
        ledger,
        sellerTx(CALLERS.bankClerk, CERTIFIER_MSP),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', certified.person.did),
        'KYC_FORBIDDEN',
      );
    });

    it('reports KYC_UNAVAILABLE when kyc cannot answer, and passes kyc’s own codes on', async () => {
      await createEvent();
      const certified = await kyc.certify();
      ledger.linkChaincode('kyc', () => Promise.resolve({ status: 500, message: 'chaincode kyc is not installed' }));
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', certified.person.did),
        'KYC_UNAVAILABLE',
      );
      ledger.linkChaincode('kyc', () => Promise.reject(new Error('KYC_INVALID_ARGUMENT: minLevel must be 1, 2 or 3')));
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', certified.person.did),
        'KYC_INVALID_ARGUMENT',
        /^kyc chaincode: minLevel/,
      );
      ledger.linkChaincode('kyc', () => Promise.resolve({ status: 200, message: '', payload: Buffer.from('<html>') }));
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', certified.person.did),
        'KYC_UNAVAILABLE',
      );
      ledger.linkChaincode('kyc', () =>
        Promise.resolve({
          status: 200,
          message: '',
          payload: Buffer.from(JSON.stringify({ personId: 'someone', verified: true })),
        }),
      );
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', certified.person.did),
        'KYC_UNAVAILABLE',
        /another person/,
      );
      ledger.linkChaincode('kyc', () =>
        Promise.resolve({
          status: 200,
          message: '',
          payload: Buffer.from(JSON.stringify({ personId: certified.person.did, verified: 'yes' })),
        }),
      );
      await assertRefused(
        ledger,
        sellerTx(),
        (ctx) => tickets.BuyTicket(ctx, 'concert-1', certified.person.did),
        'KYC_UNAVAILABLE',
        /unexpected answer/,
      );
    });

    it('asks the kyc chaincode named by KYC_CHAINCODE_NAME', async () => {
      tickets = new TicketsContract({ KYC_CHAINCODE_NAME: 'kyc-v2' });
      ledger.linkChaincode('kyc-v2', contractHandler(kyc.ledger, kyc.contract, 'kyc'));
      await createEvent();
      const certified = await kyc.certify();
      const tx = sellerTx();
      await buy(certified.person.did, tx);
      assert.equal(tx.stub.invocations[0]?.chaincode, 'kyc-v2');
    });
  });

  describe('GetTicket and GetEvent', () => {
    it('report KYC_NOT_FOUND and KYC_INVALID_ARGUMENT', async () => {
      await createEvent();
      const reader = () => sellerTx(CALLERS.outsider);
      await rejectsWithCode(
        ledger.evaluate(reader(), (ctx) => tickets.GetTicket(ctx, 'concert-1', newPerson().did)),
        'KYC_NOT_FOUND',
      );
      await rejectsWithCode(
        ledger.evaluate(reader(), (ctx) => tickets.GetTicket(ctx, 'concert-1', 'x')),
        'KYC_INVALID_ARGUMENT',
      );
      await rejectsWithCode(
        ledger.evaluate(reader(), (ctx) => tickets.GetEvent(ctx, 'missing')),
        'KYC_NOT_FOUND',
      );
      await rejectsWithCode(
        ledger.evaluate(reader(), (ctx) => tickets.GetEvent(ctx, '')),
        'KYC_INVALID_ARGUMENT',
      );
    });
  });

  describe('under random malformed input', function () {
    this.timeout(60_000);

    async function refusesCleanly(body: (ctx: Context) => Promise<unknown>): Promise<void> {
      const before = ledger.snapshot();
      const tx = sellerTx();
      let failed = false;
      try {
        await ledger.submit(tx, body);
      } catch (error) {
        failed = true;
        assertCodedError(error);
      }
      assert.ok(failed, 'a malformed input was accepted');
      assertNothingWritten(tx, ledger, before);
    }

    it('CreateEvent never writes', async () => {
      await createEvent();
      const valid = ['concert-2', 'Autumn', '10', '2', '["CertifierMSP"]'];
      const bad = [
        fc.string({ maxLength: 80 }).filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s)),
        fc.oneof(fc.constant(''), fc.string({ minLength: 201, maxLength: 300 }), fc.constant('a\u0007b')),
        fc.string({ maxLength: 10 }).filter((s) => !/^[1-9][0-9]{0,4}$|^100000$/.test(s)),
        fc.string({ maxLength: 3 }).filter((s) => !['1', '2', '3'].includes(s)),
        fc.oneof(fc.string({ maxLength: 40 }), fc.json({ maxDepth: 1 })).filter((s) => !/^\["[A-Za-z0-9]/.test(s)),
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: 4 }).chain((i) => bad[i]!.map((value) => ({ i, value }))),
          async ({ i, value }) => {
            const args = [...valid];
            args[i] = value;
            const [eventId = '', name = '', capacity = '', minLevel = '', trusted = ''] = args;
            await refusesCleanly((ctx) => tickets.CreateEvent(ctx, eventId, name, capacity, minLevel, trusted));
          },
        ),
        { numRuns: 300 },
      );
    });

    it('BuyTicket never writes for a malformed id or an unverified person', async () => {
      await createEvent('1000');
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.tuple(fc.string({ maxLength: 80 }), fc.constant(newPerson().did)),
            fc.tuple(fc.constant('concert-1'), fc.string({ maxLength: 80 })),
            fc.tuple(fc.constant('concert-1'), fc.constant(newPerson().did)),
          ),
          async ([eventId, personId]) => {
            await refusesCleanly((ctx) => tickets.BuyTicket(ctx, eventId, personId));
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
