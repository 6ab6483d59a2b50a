import type { Context } from 'fabric-contract-api';
import type { FoundingMember, ParsedDisclosure } from '../../../../protocol/src';
import { KycContract } from '../../../../chaincode/src/kyc/contract';
import { BANK_MSP, CALLERS, CERTIFIER_MSP, FakeLedger, TEST_MEMBERS } from '../fakes';
import type { Caller, FakeTransaction } from '../fakes';
import { certificationRequest, commitment, consent, decoyDigest, discloseClaims, newPerson, nonce } from '../fixtures';
import type { Person, Presentation } from '../fixtures';

/** Milliseconds per day. */
export const DAY = 24 * 3600 * 1000;

/** ISO text of an epoch-ms time. */
export function iso(millis: number): string {
  return new Date(millis).toISOString();
}

export interface CertifyOptions {
  readonly caller?: Caller;
  readonly kind?: string;
  readonly level?: number;
  readonly claims?: Readonly<Record<string, string>>;
  readonly decoys?: number;
  readonly validFrom?: number;
  readonly validUntil?: number;
}

export interface Certified {
  readonly person: Person;
  readonly kind: string;
  readonly certifier: string;
  readonly disclosures: ParsedDisclosure[];
  readonly record: Record<string, unknown>;
  readonly tx: FakeTransaction;
}

export interface PresentOptions {
  readonly registrationId?: string;
  readonly caller?: Caller;
  readonly peerMsp?: string;
  /** Which disclosures to present; all by default. */
  readonly disclosures?: readonly string[];
  /** Overrides of the transient presentation fields. */
  readonly presentation?: Partial<Presentation> & Readonly<Record<string, unknown>>;
  /** Overrides of the consent payload. */
  readonly consentPayload?: Readonly<Record<string, unknown>>;
  readonly consentSignedBy?: Person;
  readonly consentAt?: number;
  readonly at?: number;
}

/**
 * A KYC consortium in one process: the kyc contract as every peer runs it, one ledger, and the steps of the
 * protocol (certify, renew, present) done the way the certifier and bank gateways will do them.
 */
export class KycWorld {
  readonly ledger = new FakeLedger();
  readonly contract = new KycContract();

  /** A world whose consortium is founded (TEST_MEMBERS, all active) by CertifierMSP's admin. */
  static async founded(members: readonly FoundingMember[] = TEST_MEMBERS): Promise<KycWorld> {
    const world = new KycWorld();
    await world.ledger.submit(world.ledger.tx({ caller: CALLERS.certifierAdmin }), (ctx) =>
      world.contract.FoundConsortium(ctx, JSON.stringify(members)),
    );
    return world;
  }

  /** Submits a transaction of the contract as `caller` and returns its parsed result. */
  async submit(caller: Caller, body: (ctx: Context) => Promise<string>): Promise<Record<string, unknown>> {
    const json = await this.ledger.submit(this.ledger.tx({ caller }), body);
    return JSON.parse(json) as Record<string, unknown>;
  }

  /** A fresh person, certified by `CertifierMSP` with the sample claims unless told otherwise. */
  async certify(options: CertifyOptions = {}, person: Person = newPerson()): Promise<Certified> {
    const caller = options.caller ?? CALLERS.certifierOfficer;
    const kind = options.kind ?? 'identity';
    const disclosures = discloseClaims(options.claims);
    const digests = [...disclosures.map((d) => d.digest), ...Array.from({ length: options.decoys ?? 0 }, decoyDigest)];
    const now = this.ledger.now;
    const requestJws = await certificationRequest(person, { aud: caller.mspId, kind, at: now });
    const tx = this.ledger.tx({ caller, peerMsp: CERTIFIER_MSP });
    const json = await this.ledger.submit(tx, (ctx) =>
      this.contract.Certify(
        ctx,
        person.did,
        requestJws,
        commitment({
          digests,
          level: options.level ?? 2,
          validFrom: iso(options.validFrom ?? now - DAY),
          validUntil: iso(options.validUntil ?? now + 365 * DAY),
        }),
      ),
    );
    return { person, kind, certifier: caller.mspId, disclosures, record: JSON.parse(json), tx };
  }

  /**
   * Builds the bank's VerifyPresentation proposal for `certified`: consent signed by the person, the
   * presentation in the transient map, run on the bank's own peer by its verifier.
   */
  async presentation(
    certified: Certified,
    options: PresentOptions = {},
  ): Promise<{
    readonly tx: FakeTransaction;
    readonly registrationId: string;
    readonly presentation: Presentation;
  }> {
    const caller = options.caller ?? CALLERS.bankVerifier;
    const registrationId = options.registrationId ?? nonce();
    const disclosures = options.disclosures ?? certified.disclosures.map((d) => d.disclosure);
    const presentationNonce = nonce();
    const consentJws = await consent(certified.person, {
      bank: caller.mspId,
      registrationId,
      nonce: presentationNonce,
      certifier: certified.certifier,
      kind: certified.kind,
      disclosures,
      at: options.consentAt ?? options.at ?? this.ledger.now,
      payload: options.consentPayload,
      signedBy: options.consentSignedBy,
    });
    const presentation: Presentation = {
      personId: certified.person.did,
      certifier: certified.certifier,
      kind: certified.kind,
      nonce: presentationNonce,
      consent: consentJws,
      disclosures,
      trustedCertifiers: [CERTIFIER_MSP],
      minLevel: 2,
      requestedClaims: certified.disclosures.map((d) => d.name),
      ...options.presentation,
    };
    const tx = this.ledger.tx({
      caller,
      peerMsp: options.peerMsp ?? caller.mspId,
      transient: { presentation: JSON.stringify(presentation) },
      at: options.at,
    });
    return { tx, registrationId, presentation };
  }

  /** Runs a successful VerifyPresentation and returns its parsed result. */
  async verify(certified: Certified, options: PresentOptions = {}): Promise<Record<string, unknown>> {
    const { tx, registrationId } = await this.presentation(certified, options);
    const json = await this.ledger.submit(tx, (ctx) => this.contract.VerifyPresentation(ctx, registrationId));
    return JSON.parse(json) as Record<string, unknown>;
  }

  /** A transaction by the bank's verifier on its own peer. */
  bankTx(caller: Caller = CALLERS.bankVerifier, peerMsp: string = BANK_MSP): FakeTransaction {
    return this.ledger.tx({ caller, peerMsp });
  }
}
