import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A throwaway SoftHSM for unit tests: one per test process, in a temporary directory removed when the process
 * exits. SoftHSM reads SOFTHSM2_CONF once, at C_Initialize, and lists only the tokens that existed then
 * (tokens made later by softhsm2-util stay invisible until the library is finalised and initialised again;
 * tokens initialised through the module itself are visible at once). So every test token is created here, up
 * front, on the first call, before any test opens the library. Tests that need a brand-new token while the
 * library is open use `hsm.initializeToken`.
 */

export const SOFTHSM_LIBRARY = process.env.KYC_TEST_PKCS11_LIBRARY ?? '/usr/lib/softhsm/libsofthsm2.so';

/** Every token the fixture creates; one per test area so suites never see each other's keys. */
// No label may be a prefix of another: pkcs11-tool's --token-label matches prefixes.
export const TEST_TOKEN_LABELS = [
  'hsm-main',
  'hsm-second',
  'hsm-load',
  'enrollment',
  'fabric',
  'jose',
  'gateway',
  'spare',
  'store',
  'services',
] as const;

export type TestTokenLabel = (typeof TEST_TOKEN_LABELS)[number];

/** A token made for tests, with its random PINs. */
export interface TestToken {
  readonly label: TestTokenLabel;
  readonly pin: string;
  readonly soPin: string;
}

/** The per-process SoftHSM. */
export interface SoftHsmFixture {
  readonly library: string;
  /** The configuration file, also exported as SOFTHSM2_CONF. */
  readonly conf: string;
  readonly dir: string;
  /** The test token with this label. */
  token(label: TestTokenLabel): TestToken;
}

let fixture: SoftHsmFixture | undefined;

function createFixture(): SoftHsmFixture {
  const dir = mkdtempSync(join(tmpdir(), `kyc-softhsm-${process.pid}-`));
  process.on('exit', () => {
    rmSync(dir, { recursive: true, force: true });
  });
  const tokensDir = join(dir, 'tokens');
  mkdirSync(tokensDir, { mode: 0o700 });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    [
      `directories.tokendir = ${tokensDir}`,
      'objectstore.backend = file',
      'log.level = ERROR',
      'slots.removable = false',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const tokens = new Map<TestTokenLabel, TestToken>();
  for (const label of TEST_TOKEN_LABELS) {
    const token: TestToken = { label, pin: randomBytes(12).toString('hex'), soPin: randomBytes(12).toString('hex') };
    execFileSync(
      'softhsm2-util',
      ['--init-token', '--free', '--label', label, '--so-pin', token.soPin, '--pin', token.pin],
      {
        env,
        stdio: 'ignore',
      },
    );
    tokens.set(label, token);
  }
  process.env.SOFTHSM2_CONF = conf;
  return {
    library: SOFTHSM_LIBRARY,
    conf,
    dir,
    token: (label) => {
      const token = tokens.get(label);
      if (token === undefined) {
        throw new Error(`no test token '${label}'`);
      }
      return token;
    },
  };
}

/** The process's test SoftHSM, created (with all its tokens) on the first call. */
export function softHsm(): SoftHsmFixture {
  fixture ??= createFixture();
  return fixture;
}
