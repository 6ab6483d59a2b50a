import { randomBytes } from 'node:crypto';
import {
  checkConsent,
  CLAIM_NAME,
  KycError,
  LEVELS,
  MAX_CLAIMS,
  parseDisclosure,
  parsePresentation,
  publicKeyFromDidKey,
  type AssuranceLevel,
  type Es256Signer,
  type Presentation,
  type RegistrationPayload,
} from '../../../protocol/src';
import type { KycLedger } from '../../../gateway/src/ledger/kyc-ledger';
import type { VerificationResult } from '../../../protocol/src';
import type { JsonObject, KycStore, NewRecord, StoredRecord } from '../../../store/src';
import { sweepExpired } from '../common/sweep';
import type { RegistrationStatus } from '../../../protocol/src/http';

/**
 * The bank's side of the flow. An officer opens a registration: a random id and nonce, the claims wanted,
 * signed as a JWS by the officer's HSM key (certificate in `x5c`) with the bank's HSM encryption key in it,
 * shown as a QR code. The person's wallet posts an encrypted presentation; the service decrypts it (ECDH in
 * the HSM), checks the consent, and submits VerifyPresentation, which checks everything again on the ledger
 * and consumes the registration there. Results (personal data) stay in this service, never on the ledger.
 *
 * State lives in the store (docs/storage.md): `pending → verifying` is the claim on a registration (a
 * compare-and-set, so of concurrent presentations on any replica exactly one proceeds to the ledger),
 * `verifying → verified` stores the result with the verified claims as a personal (encrypted) field, and a
 * ledger error puts it back to `pending`. A timed sweep returns a `verifying` left by a crashed process; the
 * ledger's own single-use check stays the final word.
 */

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
  /** The claims a presentation must disclose (the rest the person may withhold); default all of `claims`. */
  readonly required?: readonly string[];
  readonly minLevel: AssuranceLevel;
  readonly purpose: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
  readonly jws: string;
  readonly status: RegistrationStatus;
  /** Present once verified, until the verified claims' retention ends or the person is erased. */
  readonly result?: VerifiedPerson;
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
  /** The service's state store (shared by its replicas). */
  readonly store: KycStore;
  readonly publicUrl: string;
  readonly trustedCertifiers: readonly string[];
  readonly minLevel: AssuranceLevel;
  readonly ttlSeconds: number;
  readonly crypto: BankCrypto;
  readonly ledgerFor: (officer: string) => KycLedger;
  /** How long verified claims are kept (default 30 days). */
  readonly verifiedRetentionDays?: number;
  /** A `verifying` older than this goes back to `pending` (default 300 s; longer than any ledger deadline). */
  readonly verifyingTimeoutSeconds?: number;
  readonly now?: () => Date;
  /** Called once a presentation is verified and stored (the bank's signed callback, services/src/web/webhook.ts). */
  readonly onVerified?: (id: string, verified: VerifiedPerson) => void;
}

export interface NewRegistration {
  readonly claims: readonly string[];
  /** A subset of `claims` the person must disclose; default all of them. */
  readonly required?: readonly string[];
  readonly purpose: string;
  readonly minLevel?: number;
}

const newId = (): string => randomBytes(16).toString('base64url');

/**
 * The disclosed claims (name → value): every requested claim among them, none twice, and none the registration
 * did not request (data minimisation: an over-disclosed claim is refused, never stored). Collected in a Map,
 * so a claim named like an Object.prototype member (`constructor`) is just a claim.
 */
function disclosedClaims(
  disclosures: readonly string[],
  requested: readonly string[],
  required: readonly string[],
): Record<string, string> {
  const claims = new Map<string, string>();
  for (const d of disclosures.map(parseDisclosure)) {
    if (claims.has(d.name)) throw new KycError('KYC_INVALID_ARGUMENT', `claim '${d.name}' disclosed twice`);
    if (!requested.includes(d.name)) {
      throw new KycError('KYC_MISMATCH', `claim '${d.name}' is disclosed but the registration did not request it`);
    }
    claims.set(d.name, d.value);
  }
  const missing = required.filter((c) => !claims.has(c));
  if (missing.length > 0) {
    throw new KycError('KYC_MISMATCH', `the presentation lacks requested claims: ${missing.join(', ')}`);
  }
  return Object.fromEntries(claims);
}

/** The store record of a registration: the verified claims are the personal (encrypted) field. */
export function registrationRecord(r: Registration, verifiedRetentionMs: number): NewRecord {
  const { id, status, result, ...rest } = r;
  const { personId, claims, ...verified } = result ?? { personId: undefined, claims: undefined };
  const expiresAt =
    status === 'verified'
      ? Date.parse(result?.verifiedAt ?? r.issuedAt) + verifiedRetentionMs
      : Date.parse(r.expiresAt);
  return {
    id,
    status,
    owner: r.officer,
    createdAt: Date.parse(r.issuedAt),
    expiresAt,
    ...(personId === undefined ? {} : { personId }),
    data: toJson({ ...rest, ...(result === undefined ? {} : { result: verified }) }),
    ...(claims === undefined ? {} : { personal: { claims } }),
  };
}

function fromRecord(record: StoredRecord): Registration {
  const { result, ...data } = withoutClaim(record.data) as unknown as Omit<Registration, 'id' | 'status' | 'result'> & {
    result?: Omit<VerifiedPerson, 'personId' | 'claims'>;
  };
  const claims = record.personal?.claims as Record<string, string> | undefined;
  return {
    ...data,
    id: record.id,
    status: record.status as RegistrationStatus,
    ...(result === undefined || claims === undefined || record.personId === undefined
      ? {}
      : { result: { ...result, personId: record.personId, claims } }),
  };
}

const toJson = (value: unknown): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;

/** The document without the claim marker of a presentation in progress. */
function withoutClaim(data: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'verifyingSince'));
}

export class RegistrationService {
  readonly #options: RegistrationServiceOptions;
  readonly #store: KycStore;
  readonly #now: () => Date;

  constructor(options: RegistrationServiceOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#now = options.now ?? ((): Date => new Date());
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
    const required = input.required === undefined ? claims : [...new Set(input.required)];
    if (!required.every((c) => claims.includes(c))) {
      throw new KycError('KYC_INVALID_ARGUMENT', 'required claims must be among the requested claims');
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
      ...(input.required === undefined ? {} : { required }),
      minLevel: minLevel as AssuranceLevel,
      purpose: input.purpose,
      issuedAt: now.toISOString(),
      expiresAt: new Date(exp * 1000).toISOString(),
      jws,
      status: 'pending',
    };
    await this.#store.insert('registrations', registrationRecord(registration, this.#retentionMs));
    return registration;
  }

  async get(id: string): Promise<Registration> {
    return fromRecord(await this.#record(id));
  }

  /**
   * Handles a wallet's presentation: decrypt (HSM), check the consent, claim the registration
   * (`pending → verifying`), verify on the ledger (which consumes the registration there), store the verified
   * claims (`verifying → verified`). A failure leaves the registration usable, unless the ledger consumed it.
   *
   * @throws KycError with the code of the first failed check; KYC_CONFLICT when another presentation (on
   *   any replica) claimed the registration first.
   */
  async present(id: string, jwe: string): Promise<VerifiedPerson> {
    const record = await this.#usable(id);
    const registration = fromRecord(record);
    const presentation = parsePresentation(await this.#options.crypto.decryptPresentation(jwe, id));
    const claims = this.#checkConsent(registration, presentation);
    const claimed = await this.#store.transition('registrations', id, {
      from: 'pending',
      to: 'verifying',
      data: { ...record.data, verifyingSince: this.#now().getTime() },
    });
    if (claimed === undefined) await this.#usable(id);
    if (claimed === undefined) throw new KycError('KYC_CONFLICT', 'registration is being used; it can be used once');
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
        requiredClaims: registration.required ?? registration.claims,
      });
    } catch (err) {
      await this.#release(id, record.data);
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
    await this.#storeResult(id, record.data, verified);
    this.#options.onVerified?.(id, verified);
    return verified;
  }

  /** Erasure: shreds the verified claims and data key of every registration about the person; returns how many. */
  async forgetPerson(personId: string): Promise<number> {
    return this.#store.shredByPerson('registrations', personId);
  }

  /**
   * Expiry and retention (run on a timer): registrations nobody presented to go once expired, verified claims
   * go after their retention, and a `verifying` older than the timeout (a crashed process) is `pending` again.
   */
  async sweep(): Promise<void> {
    const now = this.#now().getTime();
    await sweepExpired(this.#store, 'registrations', now, { pending: 'delete', verified: ['claims'] });
    const stale = now - (this.#options.verifyingTimeoutSeconds ?? 300) * 1000;
    for (const r of await this.#store.listByStatus('registrations', 'verifying', 100)) {
      if (typeof r.data.verifyingSince === 'number' && r.data.verifyingSince < stale) {
        await this.#store.transition('registrations', r.id, {
          from: 'verifying',
          to: 'pending',
          data: withoutClaim(r.data),
        });
      }
    }
  }

  get #retentionMs(): number {
    return (this.#options.verifiedRetentionDays ?? 30) * 86_400_000;
  }

  /** `verifying → verified` with the result; a sweep may have put it back to `pending` during a slow ledger call. */
  async #storeResult(id: string, data: JsonObject, verified: VerifiedPerson): Promise<void> {
    const { personId, claims, ...rest } = verified;
    const change = {
      to: 'verified',
      data: { ...withoutClaim(data), result: toJson(rest) },
      personal: { claims },
      personId,
      expiresAt: Date.parse(verified.verifiedAt) + this.#retentionMs,
    };
    const done =
      (await this.#store.transition('registrations', id, { from: 'verifying', ...change })) ??
      (await this.#store.transition('registrations', id, { from: 'pending', ...change }));
    if (done === undefined) {
      throw new KycError('KYC_CONFLICT', 'verified on the ledger, but the registration was used meanwhile');
    }
  }

  /** A ledger error: the registration is usable again (best effort; the verifying sweep covers a failure here). */
  async #release(id: string, data: JsonObject): Promise<void> {
    await this.#store
      .transition('registrations', id, { from: 'verifying', to: 'pending', data: withoutClaim(data) })
      .catch(() => undefined);
  }

  async #record(id: string): Promise<StoredRecord> {
    const record = await this.#store.get('registrations', id);
    if (record === undefined) {
      throw new KycError('KYC_NOT_FOUND', 'no such registration');
    }
    return record;
  }

  async #usable(id: string): Promise<StoredRecord> {
    const record = await this.#record(id);
    if (record.status !== 'pending') {
      throw new KycError('KYC_CONFLICT', `registration is ${String(record.status)}; it can be used once`);
    }
    if (Date.parse(fromRecord(record).expiresAt) <= this.#now().getTime()) {
      throw new KycError('KYC_EXPIRED', 'registration expired; ask the bank for a new QR code');
    }
    return record;
  }

  /** Off-ledger checks of the consent, so garbage never costs a transaction; returns the disclosed claims. */
  #checkConsent(registration: Registration, p: Presentation): Record<string, string> {
    checkConsent(
      p.consent,
      {
        ...p,
        publicKey: publicKeyFromDidKey(p.personId),
        bank: this.#options.mspId,
        registrationId: registration.id,
        nonce: registration.nonce,
      },
      Math.floor(this.#now().getTime() / 1000),
    );
    return disclosedClaims(p.disclosures, registration.claims, registration.required ?? registration.claims);
  }
}
