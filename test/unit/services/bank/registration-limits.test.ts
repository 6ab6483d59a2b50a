import assert from 'node:assert/strict';
import { RegistrationLimits } from '../../../../services/src/bank/registration-limits';
import type { KycStore } from '../../../../store/src';
import { isKycError, rawCount, tempDir, testStore } from '../fakes';

describe('bank service: limits on open registrations', () => {
  let dir: ReturnType<typeof tempDir>;
  let store: KycStore;
  let clock: number;
  let counter = 0;

  /** The registration service's sweep, reduced to what the limits need: expired pending registrations go. */
  const sweep = async (): Promise<void> => {
    for (const r of await store.listExpired('registrations', clock, 100)) {
      if (r.status === 'pending') await store.consume('registrations', r.id);
    }
  };

  function limits(maxOpen: number, maxOpenPerOfficer: number, on: KycStore = store): RegistrationLimits {
    return new RegistrationLimits({ store: on, maxOpen, maxOpenPerOfficer, sweep });
  }

  const open = (l: RegistrationLimits, officer: string, on: KycStore = store) => {
    let created = false;
    const result = l.admit(officer, async () => {
      created = true;
      const id = `reg-${String(++counter)}`;
      await new Promise((resolve) => setTimeout(resolve, 5)); // signing in the HSM takes a moment
      await on.insert('registrations', {
        id,
        status: 'pending',
        owner: officer,
        expiresAt: clock + 600_000,
        data: {},
      });
      return { id };
    });
    return { result, created: () => created };
  };

  beforeEach(async () => {
    dir = tempDir();
    store = await testStore(dir.path);
    clock = Date.now();
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it('caps open registrations per officer (429) and in all (507) without creating anything', async () => {
    const l = limits(3, 2);
    await open(l, 'clerk-a').result;
    await open(l, 'clerk-a').result;
    const refused = open(l, 'clerk-a');
    await assert.rejects(refused.result, isKycError('KYC_RATE_LIMITED'));
    assert.equal(refused.created(), false, 'nothing signed or stored');
    await open(l, 'clerk-b').result;
    const full = open(l, 'clerk-c');
    await assert.rejects(full.result, isKycError('KYC_CAPACITY'));
    assert.equal(full.created(), false);
    assert.equal(await l.openCount(), 3);
    assert.equal(rawCount(dir.path, 'registrations'), 3);
  });

  it('counts registrations still being signed, so concurrent requests cannot pass the cap together', async () => {
    const l = limits(10, 2);
    const results = await Promise.allSettled([
      open(l, 'clerk-a').result,
      open(l, 'clerk-a').result,
      open(l, 'clerk-a').result,
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'rejected'],
    );
    assert.equal(await l.openCount(), 2);
  });

  it('frees a place when a registration is used or expires, and counts what another process opened', async () => {
    const l = limits(2, 2);
    const first = await open(l, 'clerk-a').result;
    await open(l, 'clerk-a').result;
    await assert.rejects(open(l, 'clerk-a').result, isKycError('KYC_RATE_LIMITED'));
    await store.transition('registrations', first.id, { from: 'pending', to: 'verified' });
    await open(l, 'clerk-a').result;
    const otherStore = await testStore(dir.path);
    try {
      assert.equal(await limits(2, 2, otherStore).openCount(), 2, 'another replica sees the same count');
      await assert.rejects(
        open(limits(2, 2, otherStore), 'clerk-a', otherStore).result,
        isKycError('KYC_RATE_LIMITED'),
      );
    } finally {
      await otherStore.close();
    }
    clock += 601_000;
    assert.equal(await l.openCount(), 0);
    await open(l, 'clerk-a').result;
    assert.equal(rawCount(dir.path, 'registrations', 'pending'), 1);
  });
});
