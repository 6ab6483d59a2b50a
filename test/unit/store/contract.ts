import assert from 'node:assert/strict';
import { MIGRATIONS, isStoreError, type KycStore, type Migration } from '../../../store/src';

/**
 * The store contract: what every backend must do, run against SQLite and the real project-local PostgreSQL
 * (open.test.ts). A harness opens stores on one database; `reset` gives each test a new, empty one.
 */
export interface StoreHarness {
  /** A new empty database (file or schema) for the next opens. */
  reset(): Promise<void>;
  /** Opens a store on the current database; each call is a separate instance (own connection or pool). */
  open(migrations?: readonly Migration[]): Promise<KycStore>;
}

const did = (n: number): string => `did:key:zPerson${n}`;

async function rejectsWithReason(promise: Promise<unknown>, reason: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStoreError(error), String(error));
    assert.equal(error.reason, reason, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

export function describeStoreContract(name: string, harness: () => StoreHarness): void {
  describe(`store contract: ${name}`, () => {
    const opened: KycStore[] = [];
    const open = async (migrations?: readonly Migration[]): Promise<KycStore> => {
      const store = await harness().open(migrations);
      opened.push(store);
      return store;
    };
    let store: KycStore;

    beforeEach(async () => {
      await harness().reset();
      store = await open();
    });

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    describe('records', () => {
      it('inserts, gets and gets by ref, with personal fields round-tripped', async () => {
        const inserted = await store.insert('certifications', {
          id: 'c1',
          status: 'pending',
          personId: did(1),
          ref: 'ref-1',
          expiresAt: 5000,
          createdAt: 1000,
          data: { kind: 'kyc', nested: { a: [1, 2] } },
          personal: { claims: { given_name: 'Ada', birthdate: '1815-12-10' } },
        });
        assert.equal(inserted, true);
        const record = await store.get('certifications', 'c1');
        assert.deepEqual(record, {
          id: 'c1',
          status: 'pending',
          personId: did(1),
          ref: 'ref-1',
          expiresAt: 5000,
          createdAt: 1000,
          version: 1,
          data: { kind: 'kyc', nested: { a: [1, 2] } },
          personal: { claims: { given_name: 'Ada', birthdate: '1815-12-10' } },
        });
        assert.deepEqual(await store.getByRef('certifications', 'ref-1'), record);
        assert.equal(await store.get('certifications', 'nope'), undefined);
        assert.equal(await store.getByRef('certifications', 'nope'), undefined);
      });

      it('keeps records without personal fields, and a field named __proto__ as a plain field', async () => {
        await store.insert('officers', { id: 'alice', status: 'active', ref: 'digest', data: { createdAt: 'x' } });
        assert.equal((await store.get('officers', 'alice'))?.personal, undefined);
        await store.insert('registrations', { id: 'r1', data: {}, personal: JSON.parse('{"__proto__": "x"}') });
        const personal = (await store.get('registrations', 'r1'))?.personal;
        assert.deepEqual(Object.keys(personal ?? {}), ['__proto__']);
        assert.equal(Object.getPrototypeOf(personal), Object.prototype);
      });

      it('insert-if-absent: a second insert of the id or the ref is refused and changes nothing', async () => {
        assert.equal(await store.insert('officers', { id: 'a', ref: 'd1', data: { n: 1 } }), true);
        assert.equal(await store.insert('officers', { id: 'a', ref: 'd2', data: { n: 2 } }), false);
        assert.equal(await store.insert('officers', { id: 'b', ref: 'd1', data: { n: 3 } }), false);
        assert.deepEqual((await store.get('officers', 'a'))?.data, { n: 1 });
        assert.equal(await store.count('officers'), 1);
      });

      it('inserts many in one transaction, skipping ids that exist', async () => {
        await store.insert('nonces', { id: 'n3', data: { old: true } });
        const records = Array.from({ length: 250 }, (_, i) => ({ id: `n${i}`, data: { i }, personal: { v: `p${i}` } }));
        assert.equal(await store.insertMany('nonces', records), 249);
        assert.equal(await store.count('nonces'), 250);
        assert.deepEqual((await store.get('nonces', 'n3'))?.data, { old: true });
        assert.deepEqual((await store.get('nonces', 'n249'))?.personal, { v: 'p249' });
        assert.equal(await store.insertMany('nonces', []), 0);
        await rejectsWithReason(
          store.insertMany('nonces', [
            { id: 'ok', data: {} },
            { id: '', data: {} },
          ]),
          'STORE_INVALID_ARGUMENT',
        );
        assert.equal(await store.get('nonces', 'ok'), undefined);
      });

      it('keeps tables apart', async () => {
        await store.insert('nonces', { id: 'x', data: {} });
        assert.equal(await store.get('certifications', 'x'), undefined);
        assert.equal(await store.insert('certifications', { id: 'x', data: {} }), true);
      });

      it('refuses unknown tables and malformed ids with STORE_INVALID_ARGUMENT', async () => {
        await rejectsWithReason(store.get('users; DROP TABLE nonces' as 'nonces', 'x'), 'STORE_INVALID_ARGUMENT');
        await rejectsWithReason(store.get('nonces', ''), 'STORE_INVALID_ARGUMENT');
        await rejectsWithReason(store.insert('nonces', { id: 'x'.repeat(257), data: {} }), 'STORE_INVALID_ARGUMENT');
        await rejectsWithReason(store.listByStatus('nonces', 'pending', 0), 'STORE_INVALID_ARGUMENT');
        await rejectsWithReason(store.listByStatus('nonces', 'pending', 1001), 'STORE_INVALID_ARGUMENT');
      });

      it('fails with STORE_CLOSED after close', async () => {
        const other = await open();
        await other.close();
        await rejectsWithReason(other.get('nonces', 'x'), 'STORE_CLOSED');
      });
    });

    describe('single use', () => {
      it('consume returns the record once and then nothing', async () => {
        await store.insert('nonces', { id: 'n1', expiresAt: 10, data: { issuedAt: 1 } });
        const first = await store.consume('nonces', 'n1');
        assert.equal(first?.id, 'n1');
        assert.equal(first.expiresAt, 10);
        assert.equal(await store.consume('nonces', 'n1'), undefined);
        assert.equal(await store.get('nonces', 'n1'), undefined);
      });

      it('20 concurrent consumes of one nonce, on two store instances: exactly one wins', async () => {
        const replica = await open();
        for (let round = 0; round < 5; round++) {
          const id = `n-${round}`;
          await store.insert('nonces', { id, data: {} });
          const results = await Promise.all(
            Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : replica).consume('nonces', id)),
          );
          assert.equal(results.filter((r) => r !== undefined).length, 1, `round ${round}`);
        }
      });

      it('20 concurrent inserts of one id, on two store instances: exactly one wins', async () => {
        const replica = await open();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? store : replica).insert('registrations', { id: 'r', data: { i } }),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal(await store.count('registrations'), 1);
      });
    });

    describe('compare-and-set transitions', () => {
      beforeEach(async () => {
        await store.insert('registrations', { id: 'r1', status: 'pending', data: { claims: ['given_name'] } });
      });

      it('changes status, data, personal fields and expiry only from the expected status', async () => {
        const updated = await store.transition('registrations', 'r1', {
          from: 'pending',
          to: 'verified',
          data: { claims: ['given_name'], txId: 't1' },
          personal: { result: { given_name: 'Grace' } },
          expiresAt: 99,
        });
        assert.equal(updated?.status, 'verified');
        assert.equal(updated.version, 2);
        assert.deepEqual(updated.personal, { result: { given_name: 'Grace' } });
        assert.equal(updated.expiresAt, 99);
        assert.deepEqual(await store.get('registrations', 'r1'), updated);
        assert.equal(await store.transition('registrations', 'r1', { from: 'pending', to: 'verifying' }), undefined);
        assert.equal(await store.transition('registrations', 'nope', { from: 'pending', to: 'x' }), undefined);
      });

      it('merges personal fields into those already stored, under the same record', async () => {
        await store.insert('certifications', {
          id: 'c1',
          status: 'pending',
          data: {},
          personal: { claims: { given_name: 'Ada' } },
        });
        const approved = await store.transition('certifications', 'c1', {
          from: 'pending',
          to: 'approved',
          personal: { disclosures: ['WyJzYWx0IiwiZ2l2ZW5fbmFtZSIsIkFkYSJd'] },
        });
        assert.deepEqual(approved?.personal, {
          claims: { given_name: 'Ada' },
          disclosures: ['WyJzYWx0IiwiZ2l2ZW5fbmFtZSIsIkFkYSJd'],
        });
        const reverted = await store.transition('certifications', 'c1', {
          from: 'approved',
          to: 'pending',
          expiresAt: null,
        });
        assert.equal(reverted?.expiresAt, undefined);
        assert.deepEqual(reverted!.personal, approved.personal);
      });

      it('20 concurrent claims pending → verifying on two instances: exactly one wins', async () => {
        const replica = await open();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            (i % 2 === 0 ? store : replica).transition('registrations', 'r1', { from: 'pending', to: 'verifying' }),
          ),
        );
        assert.equal(results.filter((r) => r !== undefined).length, 1);
        assert.equal((await store.get('registrations', 'r1'))?.version, 2);
      });
    });

    describe('listing, counts, expiry, erasure', () => {
      beforeEach(async () => {
        for (let i = 0; i < 7; i++) {
          await store.insert('certifications', {
            id: `c${i}`,
            status: i % 2 === 0 ? 'pending' : 'approved',
            personId: did(i % 3),
            createdAt: 1000 - i,
            expiresAt: 100 * i,
            data: { i },
            personal: { claims: { n: String(i) } },
          });
        }
      });

      it('lists by status oldest first, up to the limit', async () => {
        const pending = await store.listByStatus('certifications', 'pending', 10);
        assert.deepEqual(
          pending.map((r) => r.id),
          ['c6', 'c4', 'c2', 'c0'],
        );
        assert.deepEqual(pending[0]?.personal, { claims: { n: '6' } });
        assert.deepEqual(
          (await store.listByStatus('certifications', 'pending', 2)).map((r) => r.id),
          ['c6', 'c4'],
        );
        assert.deepEqual(await store.listByStatus('certifications', 'rejected', 5), []);
      });

      it('counts all records or those with a status', async () => {
        assert.equal(await store.count('certifications'), 7);
        assert.equal(await store.count('certifications', { status: 'pending' }), 4);
        assert.equal(await store.count('certifications', { status: 'approved' }), 3);
        assert.equal(await store.count('nonces'), 0);
        // Per person and per owner, as the caps need them.
        assert.equal(await store.count('certifications', { status: 'pending', personId: did(0) }), 2);
        assert.equal(await store.count('certifications', { personId: did(2) }), 2);
        await store.insert('registrations', { id: 'a', status: 'pending', owner: 'officer-a', data: {} });
        await store.insert('registrations', { id: 'b', status: 'verified', owner: 'officer-a', data: {} });
        await store.insert('registrations', { id: 'c', status: 'pending', owner: 'officer-b', data: {} });
        assert.equal((await store.get('registrations', 'a'))?.owner, 'officer-a');
        assert.equal(await store.count('registrations', { owner: 'officer-a', status: 'pending' }), 1);
        assert.equal(await store.count('registrations', { owner: 'officer-a' }), 2);
        // Bounded counts, for caps.
        assert.equal(await store.count('certifications', { status: 'pending', atMost: 2 }), 2);
        assert.equal(await store.count('certifications', { status: 'pending', atMost: 10 }), 4);
        assert.equal(await store.count('certifications', { atMost: 5 }), 5);
        await rejectsWithReason(store.count('certifications', { atMost: 0 }), 'STORE_INVALID_ARGUMENT');
      });

      it('lists expired records soonest first, for retention sweeps', async () => {
        assert.deepEqual(
          (await store.listExpired('certifications', 300, 10)).map((r) => r.id),
          ['c0', 'c1', 'c2', 'c3'],
        );
        assert.deepEqual(
          (await store.listExpired('certifications', 300, 2)).map((r) => r.id),
          ['c0', 'c1'],
        );
        assert.deepEqual(await store.listExpired('certifications', -1, 10), []);
      });

      it('retention: a transition drops named personal fields, and the data key with the last one', async () => {
        await store.transition('certifications', 'c1', {
          from: 'approved',
          to: 'approved',
          personal: { disclosures: ['d'] },
        });
        const trimmed = await store.transition('certifications', 'c1', {
          from: 'approved',
          to: 'approved',
          removePersonal: ['disclosures'],
          expiresAt: null,
        });
        assert.deepEqual(trimmed?.personal, { claims: { n: '1' } });
        const emptied = await store.transition('certifications', 'c1', {
          from: 'approved',
          to: 'approved',
          removePersonal: ['claims'],
        });
        assert.equal(emptied?.personal, undefined);
        assert.deepEqual(
          await store.dataKeysByKek().then((keys) => Object.values(keys).reduce((a, b) => a + b, 0)),
          store.encrypted ? 6 : 0,
        );
        const verified = await store.transition('certifications', 'c3', {
          from: 'approved',
          to: 'x',
          personId: did(9),
        });
        assert.equal(verified?.personId, did(9));
      });

      it('deletes expired records (expiry at or before now) and keeps the others', async () => {
        assert.equal(await store.deleteExpired('certifications', 300), 4);
        assert.deepEqual((await store.listByStatus('certifications', 'approved', 10)).map((r) => r.id).sort(), ['c5']);
        assert.equal(await store.deleteExpired('certifications', 300), 0);
        await store.insert('nonces', { id: 'forever', data: {} });
        assert.equal(await store.deleteExpired('nonces', Number.MAX_SAFE_INTEGER), 0);
      });

      it('erasure: deletes every record about a person, in that table only', async () => {
        await store.insert('registrations', { id: 'r', personId: did(0), data: {} });
        assert.equal(await store.deleteByPerson('certifications', did(0)), 3);
        assert.equal(await store.count('certifications'), 4);
        assert.equal(await store.count('registrations'), 1);
        assert.equal(await store.deleteByPerson('certifications', did(0)), 0);
      });

      it('erasure by shredding: personal fields and person go, the rest of the record stays', async () => {
        assert.equal(await store.shredByPerson('certifications', did(1)), 2);
        const shredded = await store.get('certifications', 'c1');
        assert.equal(shredded?.personal, undefined);
        assert.equal(shredded!.personId, undefined);
        assert.equal(shredded!.status, 'approved');
        assert.deepEqual(shredded!.data, { i: 1 });
        assert.deepEqual((await store.get('certifications', 'c2'))?.personal, { claims: { n: '2' } });
      });
    });

    describe('migrations', () => {
      const good: Migration = {
        version: MIGRATIONS.length + 1,
        name: 'test: an extra table',
        sqlite: ['CREATE TABLE extra_test (id TEXT PRIMARY KEY)'],
        postgres: ['CREATE TABLE extra_test (id TEXT PRIMARY KEY)'],
      };
      const broken: Migration = {
        version: MIGRATIONS.length + 2,
        name: 'test: broken',
        sqlite: ['CREATE TABLE broken_test (id TEXT)', 'THIS IS NOT SQL'],
        postgres: ['CREATE TABLE broken_test (id TEXT)', 'THIS IS NOT SQL'],
      };

      it('records applied migrations; reopening applies nothing again', async () => {
        const expected = MIGRATIONS.map((m) => ({ version: m.version, name: m.name }));
        assert.deepEqual(await store.migrations(), expected);
        const again = await open();
        assert.deepEqual(await again.migrations(), expected);
        await again.insert('nonces', { id: 'n', data: {} });
        assert.equal(await store.count('nonces'), 1);
      });

      it('a failing migration names itself, and nothing of that open is applied', async () => {
        await rejectsWithReason(
          open([...MIGRATIONS, good, broken]),
          'STORE_MIGRATION_FAILED',
          new RegExp(`migration ${broken.version} \\(test: broken\\)`),
        );
        assert.deepEqual(
          (await store.migrations()).map((m) => m.version),
          MIGRATIONS.map((m) => m.version),
        );
        // Migration 2's table was rolled back too: applying it again works.
        const upgraded = await open([...MIGRATIONS, good]);
        assert.deepEqual(
          (await upgraded.migrations()).map((m) => m.version),
          [...MIGRATIONS, good].map((m) => m.version),
        );
      });

      it('upgrades a database made by an older version, keeping its records', async () => {
        await harness().reset();
        // Version 1 of the schema, with a record an older release wrote.
        const [first] = MIGRATIONS;
        const oldRecord = `INSERT INTO registrations (id, status, created_at, data) VALUES ('r-old', 'pending', 1, '{"v":1}')`;
        const old = await open([
          { ...first!, sqlite: [...first!.sqlite, oldRecord], postgres: [...first!.postgres, oldRecord] },
        ]);
        await old.close();
        const current = await open();
        assert.deepEqual(
          (await current.migrations()).map((m) => m.version),
          MIGRATIONS.map((m) => m.version),
        );
        assert.deepEqual((await current.get('registrations', 'r-old'))?.data, { v: 1 });
        await current.insert('registrations', { id: 'r-new', owner: 'officer', data: {} });
        assert.equal(await current.count('registrations', { owner: 'officer' }), 1);
      });

      it('refuses a database newer than the code', async () => {
        await open([...MIGRATIONS, good]);
        await rejectsWithReason(open(MIGRATIONS), 'STORE_MIGRATION_FAILED', /newer than this code/);
      });
    });
  });
}
