import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RegistrationLimits } from '../../../../gateway/src/services/bank/registration-limits';
import { isKycError, tempDir } from './fakes';

describe('bank service: limits on open registrations', () => {
  let dir: ReturnType<typeof tempDir>;
  let clock: number;
  const pending = new Set<string>();
  let counter = 0;

  function limits(maxOpen: number, maxOpenPerOfficer: number): RegistrationLimits {
    return new RegistrationLimits({
      dataDir: dir.path,
      maxOpen,
      maxOpenPerOfficer,
      isPending: (id) => pending.has(id),
      now: () => new Date(clock),
    });
  }

  const open = (l: RegistrationLimits, officer: string) => {
    let created = false;
    const result = l.admit(officer, () => {
      created = true;
      const id = `reg-${String(++counter)}`;
      pending.add(id);
      return Promise.resolve({ id, expiresAt: new Date(clock + 600_000).toISOString() });
    });
    return { result, created: () => created };
  };

  beforeEach(() => {
    dir = tempDir();
    clock = Date.now();
    pending.clear();
  });
  afterEach(() => {
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
    assert.equal(l.openCount, 3);
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
    assert.equal(l.openCount, 2);
  });

  it('frees a place when a registration is used or expires, and survives a restart', async () => {
    const l = limits(2, 2);
    const first = await open(l, 'clerk-a').result;
    await open(l, 'clerk-a').result;
    await assert.rejects(open(l, 'clerk-a').result, isKycError('KYC_RATE_LIMITED'));
    pending.delete(first.id);
    await open(l, 'clerk-a').result;
    assert.equal(limits(2, 2).openCount, 2, 'kept across restarts');
    clock += 601_000;
    assert.equal(l.openCount, 0);
    await open(l, 'clerk-a').result;
    const file = join(dir.path, 'open-registrations.json');
    assert.ok(existsSync(file));
    assert.equal(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { open: object }).open).length, 1);
  });
});
