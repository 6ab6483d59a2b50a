import { join } from 'node:path';
import { KycError } from '../../../../protocol/src';
import { JsonState } from '../common/json-state';

/**
 * Caps the registrations a bank holds open (issued, unused, unexpired): in all and per officer. Kept beside
 * the registration store, in its own file, so the limits need no change to how registrations are kept; an
 * entry leaves when its registration expires or stops being pending.
 */

export interface RegistrationLimitOptions {
  readonly dataDir: string;
  /** Open registrations in all; more is `KYC_CAPACITY`. */
  readonly maxOpen: number;
  /** Open registrations per officer; more is `KYC_RATE_LIMITED`. */
  readonly maxOpenPerOfficer: number;
  /** Whether the registration is still waiting for a presentation (false: verified, forgotten, unknown). */
  readonly isPending: (id: string) => boolean;
  readonly now?: () => Date;
}

interface OpenRegistration {
  readonly officer: string;
  /** ms since the epoch */
  readonly expiresAt: number;
}

interface LimitsDocument {
  open: Record<string, OpenRegistration>;
}

export class RegistrationLimits {
  readonly #options: RegistrationLimitOptions;
  readonly #state: JsonState<LimitsDocument>;
  readonly #now: () => Date;
  readonly #reserved: string[] = [];

  constructor(options: RegistrationLimitOptions) {
    this.#options = options;
    this.#now = options.now ?? ((): Date => new Date());
    this.#state = new JsonState(join(options.dataDir, 'open-registrations.json'), () => ({ open: {} }));
  }

  /** How many registrations are open now. */
  get openCount(): number {
    return this.#current().length;
  }

  /**
   * Runs `create` if `officer` may open one more registration, then counts the registration it returns.
   *
   * @throws KycError KYC_RATE_LIMITED (this officer's cap), KYC_CAPACITY (the bank's cap); `create` is not
   *   called then, so nothing is signed or stored.
   */
  async admit<R extends { readonly id: string; readonly expiresAt: string }>(
    officer: string,
    create: () => Promise<R>,
  ): Promise<R> {
    // Places being signed for right now count too: creation awaits the HSM, and concurrent requests must not
    // all pass the check before the first one is counted.
    const open = [...this.#current().map(([, r]) => r.officer), ...this.#reserved];
    if (open.filter((o) => o === officer).length >= this.#options.maxOpenPerOfficer) {
      throw new KycError(
        'KYC_RATE_LIMITED',
        `this officer has ${this.#options.maxOpenPerOfficer} open registrations; wait until they are used or expire`,
      );
    }
    if (open.length >= this.#options.maxOpen) {
      throw new KycError('KYC_CAPACITY', 'the bank holds as many open registrations as it may; retry later');
    }
    this.#reserved.push(officer);
    let registration: R;
    try {
      registration = await create();
    } finally {
      this.#reserved.splice(this.#reserved.indexOf(officer), 1);
    }
    this.#state.update((doc) => {
      doc.open = {
        ...Object.fromEntries(this.#current()),
        [registration.id]: { officer, expiresAt: Date.parse(registration.expiresAt) },
      };
    });
    return registration;
  }

  #current(): [string, OpenRegistration][] {
    const now = this.#now().getTime();
    return Object.entries(this.#state.value.open).filter(([id, r]) => r.expiresAt > now && this.#options.isPending(id));
  }
}
