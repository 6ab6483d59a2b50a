import '../quiet-logs';
import assert from 'node:assert/strict';
import { BANK_MSP, CALLERS, CERTIFIER_MSP, assertRefused, rejectsWithCode } from '../fakes';
import { newPerson, nonce } from '../fixtures';
import { KycWorld, iso } from './world';
import type { Certified } from './world';

describe('kyc receipts: GetReceipts, EraseReceipts, GetUsage', () => {
  let world: KycWorld;
  let alice: Certified;
  let bob: Certified;

  beforeEach(async () => {
    world = await KycWorld.founded();
    alice = await world.certify();
    bob = await world.certify();
  });

  async function receipts(personId: string, caller = CALLERS.bankVerifier) {
    const json = await world.ledger.evaluate(world.bankTx(caller, caller.mspId), (ctx) =>
      world.contract.GetReceipts(ctx, personId),
    );
    return JSON.parse(json) as { registrationId: string; personId: string; claims: string[] }[];
  }

  async function usage(from: string, to: string, caller = CALLERS.bankVerifier) {
    const json = await world.ledger.evaluate(world.bankTx(caller, caller.mspId), (ctx) =>
      world.contract.GetUsage(ctx, from, to),
    );
    return JSON.parse(json) as Record<string, unknown>;
  }

  describe('GetReceipts', () => {
    it("returns the bank's receipts of one person in registration-id order", async () => {
      const ids = [nonce(), nonce()];
      for (const registrationId of ids) {
        await world.verify(alice, { registrationId });
      }
      await world.verify(bob);
      const found = await receipts(alice.person.did);
      assert.deepEqual(
        found.map((r) => r.registrationId),
        [...ids].sort(),
      );
      assert.ok(found.every((r) => r.personId === alice.person.did));
      assert.deepEqual(found[0]?.claims, ['birthdate', 'family_name', 'given_name', 'nationality']);
    });

    it("does not show one bank another bank's receipts", async () => {
      await world.verify(alice);
      assert.deepEqual(await receipts(alice.person.did, CALLERS.otherBankVerifier), []);
    });

    it("refuses other callers, other organisations' peers and malformed ids", async () => {
      await rejectsWithCode(receipts(alice.person.did, CALLERS.bankClerk), 'KYC_FORBIDDEN');
      await rejectsWithCode(receipts(alice.person.did, CALLERS.certifierOfficer), 'KYC_FORBIDDEN');
      await rejectsWithCode(
        world.ledger.evaluate(world.bankTx(CALLERS.bankVerifier, CERTIFIER_MSP), (ctx) =>
          world.contract.GetReceipts(ctx, alice.person.did),
        ),
        'KYC_FORBIDDEN',
      );
      await rejectsWithCode(receipts('did:key:zDn'), 'KYC_INVALID_ARGUMENT');
    });
  });

  describe('EraseReceipts', () => {
    it("purges every receipt of that person, and only theirs, from the bank's collection", async () => {
      const registrationId = nonce();
      await world.verify(alice, { registrationId });
      await world.verify(alice);
      await world.verify(bob);
      const tx = world.bankTx();
      const ids = (await receipts(alice.person.did)).map((r) => r.registrationId);
      const bobs = (await receipts(bob.person.did)).map((r) => r.registrationId);
      // Bob's registration id under Alice's name names no receipt: skipped, Bob's receipt stays.
      const result = await world.ledger.submit(tx, (ctx) =>
        world.contract.EraseReceipts(ctx, alice.person.did, JSON.stringify([...ids, ...bobs])),
      );
      assert.deepEqual(JSON.parse(result), { personId: alice.person.did, erased: 2 });
      assert.ok(tx.stub.writes.every((write) => write.type === 'purgePrivateData'));
      assert.ok(
        tx.stub.writes.every((write) => 'collection' in write && write.collection === `_implicit_org_${BANK_MSP}`),
      );
      assert.deepEqual(await receipts(alice.person.did), []);
      assert.equal((await receipts(bob.person.did)).length, 1);
      assert.equal((await usage('', '')).verifications, 3, 'registration markers stay for usage');
      await assertRefused(
        world.ledger,
        (await world.presentation(alice, { registrationId })).tx,
        (ctx) => world.contract.VerifyPresentation(ctx, registrationId),
        'KYC_CONFLICT',
      );
    });

    it('erases nothing for a person without receipts', async () => {
      const tx = world.bankTx();
      const result = await world.ledger.submit(tx, (ctx) =>
        world.contract.EraseReceipts(ctx, newPerson().did, JSON.stringify([nonce()])),
      );
      assert.equal(JSON.parse(result).erased, 0);
      assert.deepEqual(tx.stub.writes, []);
    });

    it("refuses other callers, other organisations' peers and malformed ids, erasing nothing", async () => {
      await world.verify(alice);
      const cases = [
        [world.bankTx(CALLERS.bankClerk), alice.person.did, 'KYC_FORBIDDEN'],
        [world.bankTx(CALLERS.bankVerifier, CERTIFIER_MSP), alice.person.did, 'KYC_FORBIDDEN'],
        [world.bankTx(CALLERS.certifierOfficer, CERTIFIER_MSP), alice.person.did, 'KYC_FORBIDDEN'],
        [world.bankTx(), 'not-a-did', 'KYC_INVALID_ARGUMENT'],
      ] as const;
      const ids = JSON.stringify((await receipts(alice.person.did)).map((r) => r.registrationId));
      for (const [tx, personId, code] of cases) {
        await assertRefused(world.ledger, tx, (ctx) => world.contract.EraseReceipts(ctx, personId, ids), code);
      }
      for (const badIds of ['', '[]', '["short"]', 'not json', `["${nonce()}","${nonce()}"`, '[1]']) {
        await assertRefused(
          world.ledger,
          world.bankTx(),
          (ctx) => world.contract.EraseReceipts(ctx, alice.person.did, badIds),
          'KYC_INVALID_ARGUMENT',
        );
      }
      assert.equal((await receipts(alice.person.did)).length, 1);
    });
  });

  describe('GetUsage', () => {
    it('counts the calling bank’s consumed registrations in [from, to)', async () => {
      const t0 = world.ledger.now;
      await world.verify(alice);
      world.ledger.advance(3600);
      const t1 = world.ledger.now;
      await world.verify(bob);
      world.ledger.advance(3600);
      await world.verify(alice);
      await world.verify(alice, { caller: CALLERS.otherBankVerifier });
      assert.deepEqual(await usage('', ''), { bank: BANK_MSP, verifications: 3, from: '', to: '' });
      assert.equal((await usage(iso(t1), '')).verifications, 2);
      assert.equal((await usage('', iso(t1))).verifications, 1, 'to is exclusive');
      assert.equal((await usage(iso(t0), iso(t1))).verifications, 1, 'from is inclusive');
      assert.equal((await usage(iso(t1), iso(t1))).verifications, 0);
      assert.equal((await usage('', '', CALLERS.otherBankVerifier)).verifications, 1);
    });

    it('refuses malformed bounds, a reversed range and other callers', async () => {
      for (const [from, to] of [
        ['yesterday', ''],
        ['', '2026-13-01T00:00:00Z'],
        ['2026-03-02T00:00:00Z', '2026-03-01T00:00:00Z'],
      ] as const) {
        await rejectsWithCode(usage(from, to), 'KYC_INVALID_ARGUMENT');
      }
      await rejectsWithCode(usage('', '', CALLERS.bankClerk), 'KYC_FORBIDDEN');
      await rejectsWithCode(usage('', '', CALLERS.certifierOfficer), 'KYC_FORBIDDEN');
    });
  });
});
