import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openHsm } from '../../../gateway/src/hsm';
import { isStoreError, openStore } from '../../../store/src';
import { SOFTHSM_LIBRARY, softHsm } from '../../support/softhsm';

const CHILD = join(__dirname, '../../support/store-child.js');

interface Outcome {
  readonly ok: boolean;
  readonly value?: unknown;
  readonly code?: string;
  readonly reason?: string;
  readonly message?: string;
}

function softhsmConf(dir: string, tokens: string): string {
  const conf = join(dir, `${randomBytes(4).toString('hex')}.conf`);
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`, {
    mode: 0o600,
  });
  return conf;
}

describe('store: HSM unavailable', function () {
  this.timeout(30_000);
  const pin = randomBytes(8).toString('hex');
  let dir: string;
  let tokens: string;
  let path: string;
  let conf: string;

  before(() => {
    // Made here, not when the file loads, so a dry run leaves nothing behind.
    dir = mkdtempSync(join(tmpdir(), 'kyc-store-hsm-'));
    tokens = join(dir, 'tokens');
    path = join(dir, 'data', 'state.sqlite');
    const empty = join(dir, 'empty-tokens');
    mkdirSync(tokens, { mode: 0o700 });
    mkdirSync(empty, { mode: 0o700 });
    conf = softhsmConf(dir, tokens);
    execFileSync(
      'softhsm2-util',
      ['--init-token', '--free', '--label', 'kek-child', '--so-pin', randomBytes(8).toString('hex'), '--pin', pin],
      {
        env: { ...process.env, SOFTHSM2_CONF: conf },
        stdio: 'ignore',
      },
    );
  });

  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const child = (job: { conf: string; pin?: string; action: 'write' | 'read' }): Outcome => {
    const out = execFileSync(
      process.execPath,
      [CHILD, JSON.stringify({ library: SOFTHSM_LIBRARY, tokenLabel: 'kek-child', pin, path, ...job })],
      { encoding: 'utf8', timeout: 20_000 },
    );
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Outcome;
  };

  it('token absent, then back: opening fails with KYC_UNAVAILABLE / STORE_HSM_UNAVAILABLE; nothing is lost', () => {
    assert.deepEqual(child({ conf, action: 'write' }), { ok: true, value: { claims: { given_name: 'Ada' } } });

    const gone = child({ conf: softhsmConf(dir, join(dir, 'empty-tokens')), action: 'read' });
    assert.equal(gone.ok, false);
    assert.equal(gone.code, 'KYC_UNAVAILABLE');
    assert.equal(gone.reason, 'STORE_HSM_UNAVAILABLE');
    assert.match(gone.message ?? '', /HSM token 'kek-child' is not available \(HSM_TOKEN_NOT_FOUND\)/);

    // The token directory itself moved away and back (a removed and reinserted device): SoftHSM then fails
    // already at C_Initialize, which the services' error mapping reports the same way.
    renameSync(tokens, `${tokens}.away`);
    try {
      const away = child({ conf, action: 'read' });
      assert.equal(away.code, 'KYC_UNAVAILABLE');
      assert.equal(away.reason, 'HSM_LIBRARY_FAILED');
    } finally {
      renameSync(`${tokens}.away`, tokens);
    }

    assert.deepEqual(child({ conf, action: 'read' }), { ok: true, value: { claims: { given_name: 'Ada' } } });
  });

  it('wrong PIN: KYC_UNAVAILABLE naming CKR_PIN_INCORRECT; the right PIN reads the data', () => {
    const wrong = child({ conf, pin: 'not-the-pin', action: 'read' });
    assert.equal(wrong.reason, 'STORE_HSM_UNAVAILABLE');
    assert.equal(wrong.code, 'KYC_UNAVAILABLE');
    assert.match(wrong.message ?? '', /HSM_LOGIN_FAILED, CKR_PIN_INCORRECT/);
    assert.doesNotMatch(wrong.message ?? '', /not-the-pin/);
    assert.equal(child({ conf, action: 'read' }).ok, true);
  });

  it('in this process: a wrong PIN for the store token is refused the same way', async () => {
    const fixture = softHsm();
    const hsm = await openHsm({ library: fixture.library, softhsm2Conf: fixture.conf });
    try {
      await assert.rejects(
        openStore({
          database: { backend: 'sqlite', path: join(dir, 'in-process.sqlite') },
          encryption: { hsm, tokenLabel: fixture.token('store').label, pin: 'wrong-pin' },
        }),
        (error: unknown) => isStoreError(error, 'STORE_HSM_UNAVAILABLE') && error.code === 'KYC_UNAVAILABLE',
      );
    } finally {
      await hsm.close();
    }
  });
});
