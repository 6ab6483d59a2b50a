import type { Context } from 'mocha';
import { ensureNetwork, releaseNetwork } from '../support/network';

// Every suite's clients share one address (127.0.0.1), and the certifier caps unused nonces per client address
// (KYC_MAX_NONCES_PER_CLIENT, default 10) for their whole lifetime (10 minutes): the nonces that earlier suites
// leave unused, and services-security's cap test, which fills the cap on purpose, would refuse the later
// suites' people. Services started by the suites get more room; services-security sets its own cap to test it.
process.env.KYC_MAX_NONCES_PER_CLIENT ??= '100';

/**
 * Root hooks of the integration suite (`--require dist/test/integration/hooks.js`): the network instance
 * (`KYC_INSTANCE`, default `main`) runs before the first test, reused if it was already healthy, and is
 * stopped after the last test only if these hooks started it.
 */
export const mochaHooks = {
  async beforeAll(this: Context): Promise<void> {
    this.timeout(15 * 60_000); // a cold `up` may also build Fabric first
    await ensureNetwork();
  },
  async afterAll(this: Context): Promise<void> {
    this.timeout(2 * 60_000);
    await releaseNetwork();
  },
};
