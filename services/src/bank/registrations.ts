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
  sha256Base64Url,
  type AssuranceLevel,
  type Es256Signer,
  type Presentation,
  type RegistrationPayload,
} from '../../../protocol/src';
import type { KycLedger, PreparedTransaction } from '../../../gateway/src/ledger/kyc-ledger';
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
 * State lives in the store (docs/storage.md). VerifyPresentation is endorsed first (every check runs then, so
 * a refused presentation changes nothing); `pending → verifying` then claims the registration (a
 * compare-and-set, so of concurrent presentations on any replica exactly one proceeds) and stores the endorsed,
 * signed transaction with the disclosed claims (personal, encrypted); that transaction is ordered, and
 * `verifying → verified` stores the result. A refusal at commit puts it back to `pending`; an unknown outcome
 * (a crash, a timeout) leaves it `verifying`, and the wallet's retry of the same presentation, or the sweep,
 * orders the same transaction again: one transaction id commits once, so a retry never consumes the
 * registration twice and a verification the ledger holds is never lost (docs/services.md, "Retries").
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
  /** A `verifying` older than this is completed by the sweep (default 120 s; longer than any ledger deadline). */
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
  const { result: stored, ...data } = withoutClaim(record.data) as unknown as Omit<
    Registration,
    'id' | 'status' | 'result'
  > & {
    result?: Omit<VerifiedPerson, 'personId' | 'claims'> & { consent?: string };
  };
  // The consent's digest answers a repeated presentation; it is not part of the result.
  const result = Object.fromEntries(Object.entries(stored ?? {}).filter(([key]) => key !== 'consent'));
  const claims = record.personal?.claims as Record<string, string> | undefined;
  return {
    ...data,
    id: record.id,
    status: record.status as RegistrationStatus,
    ...(stored === undefined || claims === undefined || record.personId === undefined
      ? {}
      : { result: { ...(result as Omit<VerifiedPerson, 'personId' | 'claims'>), personId: record.personId, claims } }),
  };
}

const toJson = (value: unknown): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;

/** A verification in progress: the endorsed transaction and which consent it carries. */
interface Verification {
  readonly transaction: PreparedTransaction<'VerifyPresentation'>;
  /** SHA-256 of the consent JWS: a retry must carry the same consent. */
  readonly consent: string;
}

/** The document without the marks of a presentation in progress. */
function withoutClaim(data: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'verifyingSince' && key !== 'verification'));
}

const verificationOf = (r: StoredRecord): Verification | undefined =>
  (r.data as unknown as { verification?: Verification }).verification;

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
   * Handles a wallet's presentation: decrypt (HSM), check the consent, endorse VerifyPresentation (the ledger's
   * checks), claim the registration with the transaction (`pending → verifying`), order it (which consumes the
   * registration on the ledger), store the verified claims (`verifying → verified`). A refusal leaves the
   * registration usable. The same presentation again (a wallet retrying) completes one in progress with its
   * stored transaction, or gets the stored result of one verified.
   *
   * @throws KycError with the code of the first failed check; KYC_CONFLICT when another presentation (on
   *   any replica) claimed the registration first; KYC_UNAVAILABLE when the ledger's outcome is unknown (retry).
   */
  async present(id: string, jwe: string): Promise<VerifiedPerson> {
    const record = await this.#record(id);
    const presentation = parsePresentation(await this.#options.crypto.decryptPresentation(jwe, id));
    const consent = sha256Base64Url(presentation.consent);
    if (record.status !== 'pending') return this.#repeat(record, consent);
    const registration = fromRecord(record);
    this.#checkNotExpired(registration);
    const claims = this.#checkConsent(registration, presentation);
    const transaction = await this.#options.ledgerFor(registration.officer).prepare('VerifyPresentation', id, {
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
    const verification: Verification = { transaction, consent };
    const claimed = await this.#store.transition('registrations', id, {
      from: 'pending',
      to: 'verifying',
      data: { ...record.data, verifyingSince: this.#now().getTime(), verification: toJson(verification) },
      personal: { claims },
    });
    // Claimed first by another presentation, or by this one sent again (a wallet retrying while the first
    // attempt was still endorsing): the latter joins it, the former is refused.
    if (claimed === undefined) return this.#repeat(await this.#record(id), consent);
    return this.#complete(claimed);
  }

  /** The same presentation again: completes the one in progress, or answers the stored result. */
  async #repeat(record: StoredRecord, consent: string): Promise<VerifiedPerson> {
    const stored = verificationOf(record)?.consent ?? (record.data.result as { consent?: string } | undefined)?.consent;
    if (record.status === 'pending') {
      // Released meanwhile by a refusal at commit: the registration is usable again; the caller may retry.
      throw new KycError('KYC_UNAVAILABLE', 'the registration was released meanwhile; retry');
    }
    if (stored !== consent) {
      throw new KycError('KYC_CONFLICT', `registration is ${String(record.status)}; it can be used once`);
    }
    if (record.status === 'verifying') return this.#complete(record);
    const result = fromRecord(record).result;
    if (result === undefined) throw new KycError('KYC_CONFLICT', 'registration is verified; its claims were erased');
    return result;
  }

  /**
   * Orders the stored transaction of a verification in progress (again) and stores the result; a refusal for
   * good makes the registration usable again, an unknown outcome leaves it in progress.
   */
  async #complete(record: StoredRecord): Promise<VerifiedPerson> {
    const verification = verificationOf(record);
    const claims = record.personal?.claims as Record<string, string> | undefined;
    if (verification === undefined || claims === undefined) {
      throw new KycError('KYC_CONFLICT', 'registration is being used; it can be used once');
    }
    let result: VerificationResult;
    try {
      result = await this.#options.ledgerFor(fromRecord(record).officer).commit(verification.transaction);
    } catch (err) {
      if (!(err instanceof KycError) || err.code !== 'KYC_UNAVAILABLE') await this.#release(record.id, record.data);
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
    await this.#storeResult(record.id, record.data, verified, verification.consent);
    this.#options.onVerified?.(record.id, verified);
    return verified;
  }

  /** Erasure: shreds the verified claims and data key of every registration about the person; returns how many. */
  async forgetPerson(personId: string): Promise<number> {
    return this.#store.shredByPerson('registrations', personId);
  }

  /**
   * Expiry and retention (run on a timer): registrations nobody presented to go once expired, verified claims
   * go after their retention, and a `verifying` older than the timeout (a crashed process, an answer that never
   * came) is completed by ordering its stored transaction again (one without, from an older version, is
   * `pending` again).
   */
  async sweep(): Promise<void> {
    const now = this.#now().getTime();
    await sweepExpired(this.#store, 'registrations', now, { pending: 'delete', verified: ['claims'] });
    const stale = now - (this.#options.verifyingTimeoutSeconds ?? 120) * 1000;
    for (const r of await this.#store.listByStatus('registrations', 'verifying', 100)) {
      if (typeof r.data.verifyingSince !== 'number' || r.data.verifyingSince >= stale) continue;
      if (verificationOf(r) === undefined) {
        await this.#release(r.id, r.data);
      } else {
        await this.#complete(r).catch(() => undefined);
      }
    }
  }

  get #retentionMs(): number {
    return (this.#options.verifiedRetentionDays ?? 30) * 86_400_000;
  }

  /**
   * `verifying → verified` with the result and the consent's digest (so the same presentation again gets this
   * result). Completed twice at once (a retry and the sweep), the second finds it verified: the same result.
   */
  async #storeResult(id: string, data: JsonObject, verified: VerifiedPerson, consent: string): Promise<void> {
    const { personId, claims, ...rest } = verified;
    const done = await this.#store.transition('registrations', id, {
      from: 'verifying',
      to: 'verified',
      data: { ...withoutClaim(data), result: toJson({ ...rest, consent }) },
      personal: { claims },
      personId,
      expiresAt: Date.parse(verified.verifiedAt) + this.#retentionMs,
    });
    if (done === undefined && (await this.#store.get('registrations', id))?.status !== 'verified') {
      throw new KycError('KYC_CONFLICT', 'verified on the ledger, but the registration was used meanwhile');
    }
  }

  /** A refusal at commit: the registration is usable again (best effort; the sweep covers a failure here). */
  async #release(id: string, data: JsonObject): Promise<void> {
    await this.#store
      .transition('registrations', id, {
        from: 'verifying',
        to: 'pending',
        data: withoutClaim(data),
        removePersonal: ['claims'],
      })
      .catch(() => undefined);
  }

  async #record(id: string): Promise<StoredRecord> {
    const record = await this.#store.get('registrations', id);
    if (record === undefined) {
      throw new KycError('KYC_NOT_FOUND', 'no such registration');
    }
    return record;
  }

  #checkNotExpired(registration: Registration): void {
    if (Date.parse(registration.expiresAt) <= this.#now().getTime()) {
      throw new KycError('KYC_EXPIRED', 'registration expired; ask the bank for a new QR code');
    }
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
