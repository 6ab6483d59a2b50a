import '../quiet-logs';
import assert from 'node:assert/strict';
import { CALLERS, CERTIFIER_MSP, OTHER_CERTIFIER_MSP, rejectsWithCode } from '../fakes';
import { newPerson } from '../fixtures';
import { KycWorld, iso } from './world';

describe('kyc GetAttestation, GetAttestations, GetHistory', () => {
  let world: KycWorld;

  beforeEach(async () => {
    world = await KycWorld.founded();
  });

  /** Reads are open to every member of the channel: a bank clerk without any role will do. */
  function reader() {
    return world.ledger.tx({ caller: CALLERS.bankClerk });
  }

  it('GetAttestation returns the stored record', async () => {
    const certified = await world.certify();
    const json = await world.ledger.evaluate(reader(), (ctx) =>
      world.contract.GetAttestation(ctx, certified.person.did, CERTIFIER_MSP, 'identity'),
    );
    assert.deepEqual(JSON.parse(json), certified.record);
  });

  it('GetAttestation reports KYC_NOT_FOUND and KYC_INVALID_ARGUMENT', async () => {
    const certified = await world.certify();
    await rejectsWithCode(
      world.ledger.evaluate(reader(), (ctx) =>
        world.contract.GetAttestation(ctx, certified.person.did, OTHER_CERTIFIER_MSP, 'identity'),
      ),
      'KYC_NOT_FOUND',
    );
    await rejectsWithCode(
      world.ledger.evaluate(reader(), (ctx) =>
        world.contract.GetAttestation(ctx, certified.person.did, 'bad msp', 'identity'),
      ),
      'KYC_INVALID_ARGUMENT',
    );
    await rejectsWithCode(
      world.ledger.evaluate(reader(), (ctx) =>
        world.contract.GetAttestation(ctx, certified.person.did, CERTIFIER_MSP, ''),
      ),
      'KYC_INVALID_ARGUMENT',
    );
  });

  it("GetAttestations returns all of a person's records in key order, and only theirs", async () => {
    const person = newPerson();
    await world.certify({ caller: CALLERS.otherCertifierOfficer }, person);
    await world.certify({ kind: 'address' }, person);
    await world.certify({}, person);
    await world.certify();
    const records = JSON.parse(
      await world.ledger.evaluate(reader(), (ctx) => world.contract.GetAttestations(ctx, person.did)),
    );
    assert.deepEqual(
      records.map((r: { personId: string; certifier: string; kind: string }) => [r.personId, r.certifier, r.kind]),
      [
        [person.did, CERTIFIER_MSP, 'address'],
        [person.did, CERTIFIER_MSP, 'identity'],
        [person.did, OTHER_CERTIFIER_MSP, 'identity'],
      ],
    );
  });

  it('GetAttestations returns an empty list for an unknown person and refuses a malformed one', async () => {
    assert.equal(
      await world.ledger.evaluate(reader(), (ctx) => world.contract.GetAttestations(ctx, newPerson().did)),
      '[]',
    );
    await rejectsWithCode(
      world.ledger.evaluate(reader(), (ctx) => world.contract.GetAttestations(ctx, 'x')),
      'KYC_INVALID_ARGUMENT',
    );
  });

  it('GetHistory lists every version, newest first, with tx ids and times', async () => {
    const certified = await world.certify();
    const created = world.ledger.now;
    world.ledger.advance(120);
    const revokeTx = world.ledger.tx({ caller: CALLERS.certifierOfficer });
    await world.ledger.submit(revokeTx, (ctx) =>
      world.contract.Revoke(ctx, certified.person.did, 'identity', 'person-request'),
    );
    const history = JSON.parse(
      await world.ledger.evaluate(reader(), (ctx) =>
        world.contract.GetHistory(ctx, certified.person.did, CERTIFIER_MSP, 'identity'),
      ),
    );
    assert.deepEqual(
      history.map((h: { txId: string; timestamp: string; isDelete: boolean; record: { version: number } }) => [
        h.txId,
        h.timestamp,
        h.isDelete,
        h.record.version,
      ]),
      [
        [revokeTx.txId, iso(world.ledger.now), false, 2],
        [certified.tx.txId, iso(created), false, 1],
      ],
    );
  });

  it('GetHistory reports KYC_NOT_FOUND for a record that never existed', async () => {
    await rejectsWithCode(
      world.ledger.evaluate(reader(), (ctx) =>
        world.contract.GetHistory(ctx, newPerson().did, CERTIFIER_MSP, 'identity'),
      ),
      'KYC_NOT_FOUND',
    );
  });
});
