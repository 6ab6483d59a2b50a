import { KycError } from '../../../protocol/src';
import type { KycStore } from '../../../store/src';

/**
 * Caps the registrations a bank holds open (issued, unused, unexpired): in all and per officer, counted in
 * the store (`pending` registrations by owner, bounded counts), so every replica sees the same numbers. A
 * registration leaves the count when it is used, or when the expiry sweep removes it; at a cap the sweep runs
 * once before refusing, so expired registrations never block new ones.
 */

export interface RegistrationLimitOptions {
  readonly store: KycStore;
  /** Open registrations in all; more is `KYC_CAPACITY`. */
  readonly maxOpen: number;
  /** Open registrations per officer; more is `KYC_RATE_LIMITED`. */
  readonly maxOpenPerOfficer: number;
  /** Removes expired registrations (the registration service's sweep). */
  readonly sweep: () => Promise<void>;
}

export class RegistrationLimits {
  readonly #options: RegistrationLimitOptions;
  /** Officers whose registration is being signed in this process right now. */
  readonly #reserved: string[] = [];

  constructor(options: RegistrationLimitOptions) {
    this.#options = options;
  }

  /** How many registrations are open now. */
  async openCount(): Promise<number> {
    await this.#options.sweep();
    return this.#options.store.count('registrations', { status: 'pending' });
  }

  /**
   * Runs `create` if `officer` may open one more registration; `create` stores the registration (pending,
   * owned by the officer), which counts it from then on.
   *
   * @throws KycError KYC_RATE_LIMITED (this officer's cap), KYC_CAPACITY (the bank's cap); `create` is not
   *   called then, so nothing is signed or stored.
   */
  async admit<R>(officer: string, create: () => Promise<R>): Promise<R> {
    // Places being signed for right now count too: creation awaits the HSM, and concurrent requests in this
    // process must not all pass the check before the first one is stored. Across replicas a cap can be
    // overshot by the requests in flight at once (docs/storage.md: caps bound abuse, not correctness).
    // Reserved before the first await, so concurrent admits see each other.
    const mine = this.#reserved.filter((o) => o === officer).length;
    const all = this.#reserved.length;
    this.#reserved.push(officer);
    try {
      if (await this.#atCap(this.#options.maxOpenPerOfficer, mine, officer)) {
        throw new KycError(
          'KYC_RATE_LIMITED',
          `this officer has ${this.#options.maxOpenPerOfficer} open registrations; wait until they are used or expire`,
        );
      }
      if (await this.#atCap(this.#options.maxOpen, all)) {
        throw new KycError('KYC_CAPACITY', 'the bank holds as many open registrations as it may; retry later');
      }
      return await create();
    } finally {
      this.#reserved.splice(this.#reserved.indexOf(officer), 1);
    }
  }

  async #atCap(cap: number, reserved: number, owner?: string): Promise<boolean> {
    const count = (): Promise<number> =>
      this.#options.store.count('registrations', {
        status: 'pending',
        ...(owner === undefined ? {} : { owner }),
        atMost: cap,
      });
    if ((await count()) + reserved < cap) return false;
    await this.#options.sweep();
    return (await count()) + reserved >= cap;
  }
}
