import type { Context } from 'mocha';
import { ensureNetwork, releaseNetwork } from '../support/network';

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
