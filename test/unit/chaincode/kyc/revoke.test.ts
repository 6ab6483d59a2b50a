import '../quiet-logs';
import assert from 'node:assert/strict';
import { CALLERS, CERTIFIER_MSP, assertRefused } from '../fakes';
import { newPerson } from '../fixtures';
import { KycWorld, iso } from './world';

describe('kyc Revoke', () => {
  let world: KycWorld;

  beforeEach(async () => {
    world = await KycWorld.founded();
  });

  function officerTx(caller = CALLERS.certifierOfficer) {
    return world.ledger.tx({ caller, peerMsp: caller.mspId });
  }

  it('revokes with a reason and time, bumps the version, and emits the change', async () => {
    const certified = await world.certify();
    world.ledger.advance(60);
    const tx = officerTx();
    const record = JSON.parse(
      await world.ledger.submit(tx, (ctx) =>
        world.contract.Revoke(ctx, certified.person.did, 'identity', 'fraud-suspected'),
      ),
    );
    assert.deepEqual(record, {
      ...certified.record,
      status: 'revoked',
      revocation: { reason: 'fraud-suspected', revokedAt: iso(world.ledger.now) },
      version: 2,
      updatedAt: iso(world.ledger.now),
    });
    assert.deepEqual(world.ledger.events.at(-1)?.payload, {
      personId: certified.person.did,
      certifier: CERTIFIER_MSP,
      kind: 'identity',
      version: 2,
      status: 'revoked',
    });
  });

  it('writes only the record, so the certifier alone can endorse it', async () => {
    const certified = await world.certify();
    const tx = officerTx();
    await world.ledger.submit(tx, (ctx) => world.contract.Revoke(ctx, certified.person.did, 'identity', 'other'));
    const key = tx.stub.createCompositeKey('kyc.attestation', [certified.person.did, CERTIFIER_MSP, 'identity']);
    assert.deepEqual(
      tx.stub.writes.map((write) => [write.type, write.key]),
      [['putState', key]],
    );
  });

  it('accepts every documented reason', async () => {
    for (const reason of ['data-changed', 'fraud-suspected', 'person-request', 'certifier-error', 'other']) {
      const certified = await world.certify();
      const record = JSON.parse(
        await world.ledger.submit(officerTx(), (ctx) =>
          world.contract.Revoke(ctx, certified.person.did, 'identity', reason),
        ),
      ) as { status: string; revocation?: { reason: string } };
      assert.equal(record.status, 'revoked');
      assert.equal(record.revocation?.reason, reason);
    }
  });

  it('refuses an undocumented reason', async () => {
    const certified = await world.certify();
    for (const reason of ['', 'because', 'Other', 'x'.repeat(10_000)]) {
      await assertRefused(
        world.ledger,
        officerTx(),
        (ctx) => world.contract.Revoke(ctx, certified.person.did, 'identity', reason),
        'KYC_INVALID_ARGUMENT',
      );
    }
  });

  it('refuses a revoked record with KYC_REVOKED', async () => {
    const certified = await world.certify();
    await world.ledger.submit(officerTx(), (ctx) =>
      world.contract.Revoke(ctx, certified.person.did, 'identity', 'other'),
    );
    await assertRefused(
      world.ledger,
      officerTx(),
      (ctx) => world.contract.Revoke(ctx, certified.person.did, 'identity', 'other'),
      'KYC_REVOKED',
    );
  });

  it("cannot revoke another certifier's record", async () => {
    const certified = await world.certify();
    await assertRefused(
      world.ledger,
      officerTx(CALLERS.otherCertifierOfficer),
      (ctx) => world.contract.Revoke(ctx, certified.person.did, 'identity', 'other'),
      'KYC_NOT_FOUND',
    );
  });

  it('refuses an unknown record, a malformed kind or person, and callers without the role', async () => {
    const certified = await world.certify();
    await assertRefused(
      world.ledger,
      officerTx(),
      (ctx) => world.contract.Revoke(ctx, newPerson().did, 'identity', 'other'),
      'KYC_NOT_FOUND',
    );
    await assertRefused(
      world.ledger,
      officerTx(),
      (ctx) => world.contract.Revoke(ctx, certified.person.did, 'ID', 'other'),
      'KYC_INVALID_ARGUMENT',
    );
    await assertRefused(
      world.ledger,
      officerTx(),
      (ctx) => world.contract.Revoke(ctx, 'did:key:nope', 'identity', 'other'),
      'KYC_INVALID_ARGUMENT',
    );
    for (const caller of [CALLERS.certifierClerk, CALLERS.bankVerifier, CALLERS.bankWithCertifierRole]) {
      await assertRefused(
        world.ledger,
        officerTx(caller),
        (ctx) => world.contract.Revoke(ctx, certified.person.did, 'identity', 'other'),
        'KYC_FORBIDDEN',
      );
    }
  });
});
