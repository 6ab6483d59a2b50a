import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHsm, type Hsm } from '../../../../gateway/src/hsm';
import { certificationsJson } from '../../../../services/src/certifier/legacy-state';
import { registrationsJson } from '../../../../services/src/bank/legacy-state';
import { derivedFile, importJsonState, OFFICERS_JSON } from '../../../../services/src/common/json-import';
import { ResilientStore } from '../../../../services/src/common/resilient-store';
import { isStoreError, sqlitePathFor, type OpenStoreOptions } from '../../../../store/src';
import { softHsm } from '../../../support/softhsm';
import { rawRows, tempDir } from '../fakes';

/**
 * The services' side of the store: a store that cannot open yet (HSM token PIN wrong, database unusable)
 * answers every call with the coded reason and opens by itself once the cause is gone; and the JSON state of
 * an earlier version is imported once, losing nothing.
 */
describe('services: the store that may not be open yet, and the import of the JSON state', () => {
  let dir: ReturnType<typeof tempDir>;
  let hsm: Hsm;

  beforeEach(async () => {
    dir = tempDir();
    const fixture = softHsm();
    hsm = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
  });
  afterEach(async () => {
    await hsm.close();
    dir.remove();
  });

  const options = (pin: string, path = sqlitePathFor(dir.path)): OpenStoreOptions => ({
    database: { backend: 'sqlite', path },
    encryption: { hsm, tokenLabel: 'services', pin },
  });

  it('answers STORE_HSM_UNAVAILABLE while the PIN is wrong, writes nothing, and opens once it is right', async () => {
    let pin = 'wrong-pin';
    const store = new ResilientStore({ options: () => options(pin), retryMs: 0 });
    try {
      await assert.rejects(store.insert('nonces', { id: 'n'.repeat(22), data: {} }), (err: unknown) => {
        assert.ok(isStoreError(err, 'STORE_HSM_UNAVAILABLE'));
        assert.equal(err.code, 'KYC_UNAVAILABLE');
        assert.ok(!err.message.includes('wrong-pin'));
        return true;
      });
      const health = await store.health();
      assert.equal(health.ok, false);
      assert.match(health.reason ?? '', /STORE_HSM_UNAVAILABLE/);
      assert.equal(existsSync(sqlitePathFor(dir.path)), false, 'nothing was written before the token opened');
      pin = softHsm().token('services').pin;
      assert.deepEqual(await store.health(), { ok: true });
      assert.equal(await store.insert('nonces', { id: 'n'.repeat(22), data: {} }), true);
    } finally {
      await store.close();
    }
  });

  it('answers STORE_DB_UNAVAILABLE while the database cannot be opened, then recovers', async () => {
    const path = join(dir.path, 'db', 'state.sqlite');
    mkdirSync(path, { recursive: true }); // a directory where the file should be
    let target = path;
    const store = new ResilientStore({
      options: () => options(softHsm().token('services').pin, target),
      retryMs: 0,
    });
    try {
      await assert.rejects(store.count('officers'), (err: unknown) => isStoreError(err, 'STORE_DB_UNAVAILABLE'));
      target = sqlitePathFor(dir.path);
      assert.equal(await store.count('officers'), 0);
    } finally {
      await store.close();
    }
  });

  it('imports the JSON state files once, renames them, and keeps the personal fields encrypted', async () => {
    const now = Date.now();
    const person = 'did:key:zDnaeTest';
    const write = (name: string, value: unknown): void => {
      writeFileSync(join(dir.path, name), JSON.stringify(value), { mode: 0o600 });
    };
    write('officers.json', {
      officers: { officer1: { name: 'officer1', tokenDigest: 'digest-1', createdAt: new Date(now).toISOString() } },
    });
    write('certifications.json', {
      nonces: { ['n'.repeat(22)]: { expiresAt: now + 60_000, client: 'x' }, old: { expiresAt: now - 1 } },
      collections: { jwsid: now + 60_000 },
      certifications: {
        c1: {
          id: 'c1',
          personId: person,
          kind: 'identity',
          claims: { family_name: 'Importedvalue' },
          request: 'a.b.c',
          submittedAt: new Date(now).toISOString(),
          expiresAt: new Date(now + 3_600_000).toISOString(),
          status: 'pending',
        },
      },
    });
    write('registrations.json', {
      registrations: {
        r1: {
          id: 'r1',
          nonce: 'rn',
          officer: 'officer1',
          claims: ['given_name'],
          minLevel: 2,
          purpose: 'p',
          issuedAt: new Date(now).toISOString(),
          expiresAt: new Date(now + 600_000).toISOString(),
          jws: 'x.y.z',
          status: 'verifying',
        },
      },
    });
    write('open-registrations.json', { open: {} });
    const imports = [
      OFFICERS_JSON,
      certificationsJson(3600),
      registrationsJson(30),
      derivedFile('open-registrations.json'),
    ];
    const store = new ResilientStore({
      options: () => options(softHsm().token('services').pin),
      onOpen: (s) => importJsonState(s, dir.path, imports).then(() => undefined),
    });
    try {
      assert.equal((await store.getByRef('officers', 'digest-1'))?.id, 'officer1');
      assert.equal((await store.get('nonces', 'n'.repeat(22)))?.status, 'issued');
      assert.equal(await store.get('nonces', 'old'), undefined, 'expired nonces are not imported');
      assert.equal((await store.get('nonces', 'c:jwsid'))?.status, 'collected');
      const certification = await store.get('certifications', 'c1');
      assert.deepEqual(certification?.personal, { claims: { family_name: 'Importedvalue' } });
      assert.equal(certification.personId, person);
      assert.equal((await store.get('registrations', 'r1'))?.status, 'pending', 'verifying becomes pending');
      assert.ok(!rawRows(dir.path).includes('Importedvalue'), 'claims encrypted at rest');
      for (const name of ['officers.json', 'certifications.json', 'registrations.json']) {
        assert.equal(existsSync(join(dir.path, name)), false);
        assert.ok(readFileSync(join(dir.path, `${name}.imported`), 'utf8').length > 0);
      }
      assert.equal(existsSync(join(dir.path, 'open-registrations.json')), false, 'derived state is removed');
      assert.equal(existsSync(join(dir.path, 'open-registrations.json.imported')), false);
    } finally {
      await store.close();
    }
  });
});
