import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  CLAIM_NAME,
  KycError,
  LEVELS,
  MAX_CLAIMS,
  TYP,
  assertFresh,
  disclosuresHash,
  parseConsentPayload,
  parseDisclosure,
  parsePresentation,
  publicKeyFromDidKey,
  verifyJws,
  type AssuranceLevel,
  type Es256Signer,
  type Presentation,
  type RegistrationPayload,
} from '../../../../protocol/src';
import type { KycLedger, VerificationResult } from '../../ledger/kyc-ledger';
import { JsonState } from '../common/json-state';

/**
 * The bank's side of the flow. An officer opens a registration: a random id and nonce, the claims wanted,
 * signed as a JWS by the officer's HSM key (certificate in `x5c`) with the bank's HSM encryption key in it,
 * shown as a QR code. The person's wallet posts an encrypted presentation; the service decrypts it (ECDH in
 * the HSM), checks the consent, and submits VerifyPresentation, which checks everything again on the ledger
 * and consumes the registration there. Results (personal data) stay in this service, never on the ledger.
 */

export type RegistrationStatus = 'pending' | 'verifying' | 'verified';

export interface VerifiedPerson {
  readonly personId: string;
  readonly certifier: string;
  readonly kind: string;
  readonly level: number;
  readonly recordVersion: number;
  /** The disclosed claims, name → value: the personal data the bank needed. */
  readonly claims: Readonly<Record<string, string>>;
  readonly verifiedAt: string;
  readonly txId: string;
}

export interface Registration {
  readonly id: string;
  readonly nonce: string;
  readonly officer: string;
  readonly claims: readonly string[];
  readonly minLevel: AssuranceLevel;
  readonly purpose: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly jws: string;
  status: RegistrationStatus;
  result?: VerifiedPerson;
}

/** The HSM and JOSE operations the service needs, injected so the flow is testable without an HSM. */
export interface BankCrypto {
  /** ES256 signer of the officer's HSM key, and the officer's certificate chain (leaf first). */
  signerFor(officer: string): { readonly sign: Es256Signer; readonly certificateChainPem: readonly string[] };
  /** The bank's encryption key (public half; the private half stays in the HSM). */
  readonly encryptionJwk: RegistrationPayload['enc_jwk'];
  signRegistration(
    payload: RegistrationPayload,
    signer: { readonly sign: Es256Signer; readonly certificateChainPem: readonly string[] },
  ): Promise<string>;
  /** Decrypts a presentation JWE addressed to `kid`; KYC_DECRYPTION_FAILED otherwise. */
  decryptPresentation(jwe: string, kid: string): Promise<Record<string, unknown>>;
}

export interface RegistrationServiceOptions {
  readonly mspId: string;
  readonly dataDir: string;
  readonly publicUrl: string;
  readonly trustedCertifiers: readonly string[];
  readonly minLevel: AssuranceLevel;
  readonly ttlSeconds: number;
  readonly crypto: BankCrypto;
  readonly ledgerFor: (officer: string) => KycLedger;
  readonly now?: () => Date;
}

export interface NewRegistration {
  readonly claims: readonly string[];
  readonly purpose: string;
  readonly minLevel?: number;
}

interface BankState {
  registrations: Record<string, Registration>;
}

const newId = (): string => randomBytes(16).toString('base64url');

/**
 * The disclosed claims (name → value): every requested claim among them, none twice, and none the registration
 * did not request (data minimisation: an over-disclosed claim is refused, never stored). Collected in a Map,
 * so a claim named like an Object.prototype member (`constructor`) is just a claim.
 */
function disclosedClaims(disclosures: readonly string[], requested: readonly string[]): Record<string, string> {
  const claims = new Map<string, string>();
  for (const d of disclosures.map(parseDisclosure)) {
    if (claims.has(d.name)) throw new KycError('KYC_INVALID_ARGUMENT', `claim '${d.name}' disclosed twice`);
    if (!requested.includes(d.name)) {
      throw new KycError('KYC_MISMATCH', `claim '${d.name}' is disclosed but the registration did not request it`);
    }
    claims.set(d.name, d.value);
  }
  const missing = requested.filter((c) => !claims.has(c));
  if (missing.length > 0) {
    throw new KycError('KYC_MISMATCH', `the presentation lacks requested claims: ${missing.join(', ')}`);
  }
  return Object.fromEntries(claims);
}

export class RegistrationService {
  readonly #options: RegistrationServiceOptions;
  readonly #state: JsonState<BankState>;
  readonly #now: () => Date;

  constructor(options: RegistrationServiceOptions) {
    this.#options = options;
    this.#now = options.now ?? ((): Date => new Date());
    this.#state = new JsonState(join(options.dataDir, 'registrations.json'), () => ({ registrations: {} }));
    // A crash mid-verification leaves 'verifying'; the ledger decides on the next attempt.
    for (const r of Object.values(this.#state.value.registrations)) {
      if (r.status === 'verifying') r.status = 'pending';
    }
  }

  get mspId(): string {
    return this.#options.mspId;
  }

  /**
   * Opens a registration and signs its QR payload with the officer's HSM key.
   *
   * @throws KycError KYC_INVALID_ARGUMENT for bad claim names or levels.
   */
  async create(officer: string, input: NewRegistration): Promise<Registration> {
    const claims = [...new Set(input.claims)];
    if (claims.length === 0 || claims.length > MAX_CLAIMS || !claims.every((c) => CLAIM_NAME.test(c))) {
      throw new KycError('KYC_INVALID_ARGUMENT', `claims must be 1 to ${MAX_CLAIMS} claim names`);
    }
    const minLevel = input.minLevel ?? this.#options.minLevel;
    if (!LEVELS.includes(minLevel as AssuranceLevel) || minLevel < this.#options.minLevel) {
      throw new KycError('KYC_INVALID_ARGUMENT', `minLevel must be from ${this.#options.minLevel} to 3`);
    }
    const id = newId();
    const nonce = newId();
    const now = this.#now();
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.#options.ttlSeconds;
    const payload: RegistrationPayload = {
      iss: this.#options.mspId,
      registration_id: id,
      nonce,
      iat,
      exp,
      endpoint: `${this.#options.publicUrl}/v1/registrations/${id}/presentation`,
      claims,
      min_level: minLevel as AssuranceLevel,
      enc_jwk: this.#options.crypto.encryptionJwk,
      purpose: input.purpose,
    };
    const jws = await this.#options.crypto.signRegistration(payload, this.#options.crypto.signerFor(officer));
    const registration: Registration = {
      id,
      nonce,
      officer,
      claims,
      minLevel: minLevel as AssuranceLevel,
      purpose: input.purpose,
      issuedAt: now.toISOString(),
      expiresAt: new Date(exp * 1000).toISOString(),
      jws,
      status: 'pending',
    };
    this.#state.update((s) => {
      this.#dropExpiredPending(s);
      s.registrations[id] = registration;
    });
    return registration;
  }

  get(id: string): Registration {
    const registration = this.#state.value.registrations[id];
    if (registration === undefined) {
      throw new KycError('KYC_NOT_FOUND', 'no such registration');
    }
    return registration;
  }

  /**
   * Handles a wallet's presentation: decrypt (HSM), check the consent, verify on the ledger (which consumes
   * the registration), keep the verified claims. A failure leaves the registration usable, unless the ledger
   * consumed it.
   *
   * @throws KycError with the code of the first failed check.
   */
  async present(id: string, jwe: string): Promise<VerifiedPerson> {
    const registration = this.#usable(id);
    const presentation = parsePresentation(await this.#options.crypto.decryptPresentation(jwe, id));
    const claims = this.#checkConsent(registration, presentation);
    // Checked again after the awaits above: a concurrent presentation may have claimed it meanwhile.
    this.#usable(id);
    registration.status = 'verifying';
    let result: VerificationResult;
    try {
      result = await this.#options.ledgerFor(registration.officer).verifyPresentation(id, {
        personId: presentation.personId,
        certifier: presentation.certifier,
        kind: presentation.kind,
        nonce: registration.nonce,
        consent: presentation.consent,
        disclosures: presentation.disclosures,
        trustedCertifiers: this.#options.trustedCertifiers,
        minLevel: registration.minLevel,
        requestedClaims: registration.claims,
        requiredClaims: registration.claims,
      });
    } catch (err) {
      registration.status = 'pending';
      throw err;
    }
    const verified: VerifiedPerson = {
      personId: result.personId,
      certifier: result.certifier,
      kind: result.kind,
      level: result.level,
      recordVersion: result.recordVersion,
      claims,
      verifiedAt: result.verifiedAt,
      txId: result.txId,
    };
    this.#state.update(() => {
      registration.status = 'verified';
      registration.result = verified;
    });
    return verified;
  }

  /** Forgets the verified results this service holds about a person (the ledger receipts are purged separately). */
  forgetPerson(personId: string): number {
    return this.#state.update((s) => {
      let forgotten = 0;
      for (const r of Object.values(s.registrations)) {
        if (r.result?.personId === personId) {
          delete r.result;
          forgotten++;
        }
      }
      return forgotten;
    });
  }

  /** Expired registrations nobody presented to can never be used: forget them so the state stays bounded. */
  #dropExpiredPending(state: BankState): void {
    const now = this.#now().getTime();
    state.registrations = Object.fromEntries(
      Object.entries(state.registrations).filter(([, r]) => r.status !== 'pending' || Date.parse(r.expiresAt) > now),
    );
  }

  #usable(id: string): Registration {
    const registration = this.get(id);
    if (registration.status !== 'pending') {
      throw new KycError('KYC_CONFLICT', `registration is ${registration.status}; it can be used once`);
    }
    if (Date.parse(registration.expiresAt) <= this.#now().getTime()) {
      throw new KycError('KYC_EXPIRED', 'registration expired; ask the bank for a new QR code');
    }
    return registration;
  }

  /** Off-ledger checks of the consent, so garbage never costs a transaction; returns the disclosed claims. */
  #checkConsent(registration: Registration, p: Presentation): Record<string, string> {
    const consent = parseConsentPayload(verifyJws(p.consent, TYP.consent, publicKeyFromDidKey(p.personId)).payload);
    const bound =
      consent.sub === p.personId &&
      consent.aud === this.#options.mspId &&
      consent.registration_id === registration.id &&
      consent.nonce === registration.nonce &&
      consent.certifier === p.certifier &&
      consent.kind === p.kind;
    if (!bound) {
      throw new KycError('KYC_MISMATCH', 'the consent is for another person, bank, registration or record');
    }
    assertFresh(consent.iat, consent.exp, Math.floor(this.#now().getTime() / 1000), 'consent');
    if (consent.disclosures_hash !== disclosuresHash(p.disclosures)) {
      throw new KycError('KYC_MISMATCH', 'the consent does not cover these disclosures');
    }
    return disclosedClaims(p.disclosures, registration.claims);
  }
}
