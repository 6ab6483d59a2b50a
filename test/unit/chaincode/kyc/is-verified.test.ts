import '../quiet-logs';
import assert from 'node:assert/strict';
import { CALLERS, CERTIFIER_MSP, OTHER_CERTIFIER_MSP, rejectsWithCode } from '../fakes';
import { newPerson } from '../fixtures';
import type { Person } from '../fixtures';
import { DAY, KycWorld, iso } from './world';

describe('kyc IsVerified', () => {
  let world: KycWorld;
  let person: Person;

  beforeEach(async () => {
    world = await KycWorld.founded();
    person = newPerson();
  });

  /** Anyone on the channel may ask, including an organisation with no KYC role. */
  async function ask(minLevel = '2', trusted: unknown = [CERTIFIER_MSP, OTHER_CERTIFIER_MSP], personId = person.did) {
    const tx = world.ledger.tx({ caller: CALLERS.outsider, peerMsp: 'BankMSP' });
    const json = await world.ledger.evaluate(tx, (ctx) =>
      world.contract.IsVerified(
        ctx,
        personId,
        minLevel,
        typeof trusted === 'string' ? trusted : JSON.stringify(trusted),
      ),
    );
    return JSON.parse(json) as Record<string, unknown>;
  }

  async function revoke(kind = 'identity', caller = CALLERS.certifierOfficer) {
    await world.ledger.submit(world.ledger.tx({ caller }), (ctx) =>
      world.contract.Revoke(ctx, person.did, kind, 'other'),
    );
  }

  it('reports a verified person with the attestation that counts', async () => {
    const certified = await world.certify({ level: 2 }, person);
    assert.deepEqual(await ask(), {
      personId: person.did,
      verified: true,
      certifier: CERTIFIER_MSP,
      kind: 'identity',
      level: 2,
      validUntil: certified.record.validUntil,
      version: 1,
    });
  });

  it('prefers the highest level, then the latest validUntil, then key order', async () => {
    const now = world.ledger.now;
    await world.certify({ kind: 'address', level: 2, validUntil: now + 900 * DAY }, person);
    await world.certify({ kind: 'identity', level: 3, validUntil: now + 100 * DAY }, person);
    await world.certify({ caller: CALLERS.otherCertifierOfficer, level: 3, validUntil: now + 200 * DAY }, person);
    const best = await ask();
    assert.equal(best.certifier, OTHER_CERTIFIER_MSP);
    assert.equal(best.level, 3);
    assert.equal(best.validUntil, iso(now + 200 * DAY));
  });

  it('breaks a full tie by key order', async () => {
    const until = world.ledger.now + 50 * DAY;
    await world.certify({ caller: CALLERS.otherCertifierOfficer, validUntil: until }, person);
    await world.certify({ kind: 'residence', validUntil: until }, person);
    await world.certify({ kind: 'address', validUntil: until }, person);
    const best = await ask();
    assert.deepEqual([best.certifier, best.kind], [CERTIFIER_MSP, 'address']);
  });

  it('ignores untrusted certifiers', async () => {
    await world.certify({ caller: CALLERS.otherCertifierOfficer, level: 3 }, person);
    await world.certify({ level: 2 }, person);
    const answer = await ask('2', [CERTIFIER_MSP]);
    assert.equal(answer.certifier, CERTIFIER_MSP);
    assert.deepEqual(await ask('3', [CERTIFIER_MSP]), {
      personId: person.did,
      verified: false,
      reason: 'level-too-low',
    });
  });

  const notVerified: [string, (w: KycWorld) => Promise<void>, string, unknown][] = [
    ['nobody certified the person', () => Promise.resolve(), '2', [CERTIFIER_MSP]],
    [
      'only untrusted certifiers did',
      async (w) => {
        await w.certify({}, person);
      },
      '1',
      [OTHER_CERTIFIER_MSP],
    ],
    [
      'the level is too low',
      async (w) => {
        await w.certify({ level: 1 }, person);
      },
      '2',
      [CERTIFIER_MSP],
    ],
    [
      'the attestation is revoked',
      async (w) => {
        await w.certify({}, person);
        await w.ledger.submit(w.ledger.tx({ caller: CALLERS.certifierOfficer }), (ctx) =>
          w.contract.Revoke(ctx, person.did, 'identity', 'other'),
        );
      },
      '2',
      [CERTIFIER_MSP],
    ],
    [
      'the attestation is not yet valid',
      async (w) => {
        await w.certify({ validFrom: w.ledger.now + DAY }, person);
      },
      '2',
      [CERTIFIER_MSP],
    ],
    [
      'the attestation expired (validUntil itself is outside)',
      async (w) => {
        await w.certify({ validUntil: w.ledger.now + DAY }, person);
        w.ledger.advance(24 * 3600);
      },
      '2',
      [CERTIFIER_MSP],
    ],
  ];
  const reasons = ['no-attestation', 'untrusted-certifier', 'level-too-low', 'revoked', 'not-yet-valid', 'expired'];
  notVerified.forEach(([title, arrange, minLevel, trusted], index) => {
    it(`reports '${reasons[index]}' when ${title}`, async () => {
      await arrange(world);
      assert.deepEqual(await ask(minLevel, trusted), { personId: person.did, verified: false, reason: reasons[index] });
    });
  });

  it('reports the closest miss when several records fail', async () => {
    await world.certify({ caller: CALLERS.otherCertifierOfficer, level: 1 }, person);
    await world.certify({ kind: 'address', level: 3 }, person);
    await revoke('address');
    await world.certify({ kind: 'identity', level: 1 }, person);
    const answer = await ask('2', [CERTIFIER_MSP]);
    assert.equal(answer.reason, 'revoked');
  });

  it('refuses malformed arguments', async () => {
    const cases: [string, unknown, string][] = [
      ['0', [CERTIFIER_MSP], person.did],
      ['4', [CERTIFIER_MSP], person.did],
      ['2.0', [CERTIFIER_MSP], person.did],
      ['', [CERTIFIER_MSP], person.did],
      ['2', [], person.did],
      ['2', 'not json', person.did],
      ['2', '{"CertifierMSP":true}', person.did],
      ['2', ['bad msp'], person.did],
      ['2', [CERTIFIER_MSP, CERTIFIER_MSP], person.did],
      ['2', Array.from({ length: 33 }, (_, i) => `Org${i}MSP`), person.did],
      ['2', [CERTIFIER_MSP], 'did:key:zDnbad'],
    ];
    for (const [minLevel, trusted, personId] of cases) {
      await rejectsWithCode(ask(minLevel, trusted, personId), 'KYC_INVALID_ARGUMENT');
    }
  });
});
