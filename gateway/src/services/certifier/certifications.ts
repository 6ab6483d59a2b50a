import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  KycError,
  LEVELS,
  MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS,
  RECORD_KIND,
  TYP,
  assertFresh,
  assertValidClaims,
  claimsHash,
  createDisclosure,
  parseCertificationRequestPayload,
  publicKeyFromDidKey,
  sha256Base64Url,
  verifyCollectionRequest,
  verifyJws,
  type AssuranceLevel,
  type Claims,
} from '../../../../protocol/src';
import type { AttestationRecord, Commitment, KycLedger } from '../../ledger/kyc-ledger';
import type { CertifierLimits } from '../../config';
import { JsonState } from '../common/json-state';

/**
 * The certifier's workflow: a person asks for a nonce, submits claims with a certification request signed by
 * their key, an officer checks the person and approves; the service then makes salted disclosures with a
 * CSPRNG, commits their digests to the ledger (Certify, or Renew when a record exists) signed by the
 * approving officer, and hands the disclosures once to the person, who asks with a request signed by the key
 * the certification is for. Claims never reach the ledger.
 *
 * Everything an anonymous caller can make the service hold is bounded (docs/services.md, "Limits"): nonces
 * per client address and in all, pending certifications per person and in all, and every such entry expires.
 */

export const CLAIM_SCHEMA = 'kyc.person.v1';

/** The defaults of {@link CertifierLimits} (the configuration's, docs/services.md). */
export const DEFAULT_CERTIFIER_LIMITS: CertifierLimits = {
  pendingTtlSeconds: 7 * 24 * 3600,
  maxPendingPerPerson: 3,
  maxPending: 1000,
  maxNonces: 10_000,
  maxNoncesPerClient: 10,
  disclosureRetentionSeconds: 7 * 24 * 3600,
};

export type CertificationStatus = 'pending' | 'approved' | 'rejected';

export interface Certification {
  readonly id: string;
  readonly personId: string;
  readonly kind: string;
  readonly claims: Claims;
  readonly request: string;
  readonly submittedAt: string;
  /** When a pending certification is dropped: its request's `exp`, or submission + the pending TTL. */
  readonly expiresAt?: string;
  status: CertificationStatus;
  decidedAt?: string;
  decidedBy?: string;
  reason?: string;
  disclosures?: string[];
  record?: RecordReference;
  /** When the person collected the disclosures (they are deleted then). */
  collectedAt?: string;
}

/** What the wallet keeps next to its disclosures to name the attestation they open. */
export interface RecordReference {
  readonly certifier: string;
  readonly kind: string;
  readonly version: number;
  readonly level: number;
  readonly validUntil: string;
}

interface Nonce {
  readonly expiresAt: number;
  /** Keyed hash of the client address that asked (never the address itself). */
  readonly client?: string;
}

interface CertifierState {
  nonces: Record<string, Nonce>;
  certifications: Record<string, Certification>;
  /** Collection requests already answered (JWS id → their `exp` in ms), remembered until they expire. */
  collections?: Record<string, number>;
}

export interface CertificationServiceOptions {
  readonly mspId: string;
  readonly dataDir: string;
  readonly validityDays: number;
  readonly decoyDigests: number;
  readonly nonceTtlSeconds: number;
  /** Default: {@link DEFAULT_CERTIFIER_LIMITS}. */
  readonly limits?: Partial<CertifierLimits>;
  /** The ledger client signing as the named officer. */
  readonly ledgerFor: (officer: string) => KycLedger;
  readonly now?: () => Date;
}

export interface SubmitInput {
  readonly personId: string;
  readonly kind: string;
  readonly claims: unknown;
  /** The secret salt of the request's claims_hash; never stored on the ledger. */
  readonly claimsSalt: string;
  readonly request: string;
}

const newId = (): string => randomBytes(16).toString('base64url');

export class CertificationService {
  readonly #options: CertificationServiceOptions;
  readonly #limits: CertifierLimits;
  readonly #state: JsonState<CertifierState>;
  readonly #now: () => Date;
  /** Key of the client-address hashes: per process, so stored hashes cannot be reversed by trying addresses. */
  readonly #clientKey = randomBytes(32);

  constructor(options: CertificationServiceOptions) {
    this.#options = options;
    this.#limits = { ...DEFAULT_CERTIFIER_LIMITS, ...options.limits };
    this.#now = options.now ?? ((): Date => new Date());
    this.#state = new JsonState(join(options.dataDir, 'certifications.json'), () => ({
      nonces: {},
      certifications: {},
    }));
  }

  /** The certifier organisation this service speaks for. */
  get mspId(): string {
    return this.#options.mspId;
  }

  /**
   * A single-use nonce the person's certification request must carry.
   *
   * @param client the caller's address, to cap the nonces one client holds
   * @throws KycError KYC_RATE_LIMITED when this client holds its share of unused nonces, KYC_CAPACITY when
   *   the service holds as many as it may; nothing is stored then.
   */
  issueNonce(client = 'local'): { nonce: string; certifier: string; expiresAt: string } {
    const nonce = newId();
    const now = this.#now().getTime();
    const expiresAt = now + this.#options.nonceTtlSeconds * 1000;
    const tag = createHmac('sha256', this.#clientKey).update(client).digest('base64url').slice(0, 22);
    this.#state.update((s) => {
      this.#prune(s, now);
      const outstanding = Object.values(s.nonces);
      if (outstanding.filter((n) => n.client === tag).length >= this.#limits.maxNoncesPerClient) {
        throw new KycError('KYC_RATE_LIMITED', 'too many unused nonces for this client; use or let them expire');
      }
      if (outstanding.length >= this.#limits.maxNonces) {
        throw new KycError('KYC_CAPACITY', 'the certifier holds as many nonces as it may; retry later');
      }
      s.nonces[nonce] = { expiresAt, client: tag };
    });
    return { nonce, certifier: this.#options.mspId, expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * Checks a person's submission completely (claims, signature by the person's key, audience, kind, claims
   * hash, freshness, nonce, the person's and the service's pending limits) and queues it for an officer.
   * Nothing is stored, and the nonce stays usable, when any check fails.
   *
   * @throws KycError with the code of the first failed check: KYC_RATE_LIMITED when the person has the
   *   most pending certifications allowed, KYC_CAPACITY when the service has.
   */
  submit(input: SubmitInput): { id: string; status: CertificationStatus } {
    assertValidClaims(input.claims);
    const claims = input.claims;
    if (!RECORD_KIND.test(input.kind)) {
      throw new KycError('KYC_INVALID_ARGUMENT', `kind must match ${RECORD_KIND.source}`);
    }
    const jws = verifyJws(input.request, TYP.certificationRequest, publicKeyFromDidKey(input.personId));
    const payload = parseCertificationRequestPayload(jws.payload);
    if (payload.sub !== input.personId || payload.aud !== this.#options.mspId || payload.kind !== input.kind) {
      throw new KycError('KYC_INVALID_ARGUMENT', `the request must name this person, ${this.#options.mspId} and kind`);
    }
    if (payload.claims_hash !== claimsHash(claims, input.claimsSalt)) {
      throw new KycError('KYC_MISMATCH', 'claims_hash does not match the claims submitted');
    }
    const now = this.#now();
    const nowSeconds = Math.floor(now.getTime() / 1000);
    assertFresh(
      payload.iat,
      payload.exp,
      nowSeconds,
      'certification request',
      MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS,
    );
    const id = newId();
    const expiresAt = Math.min(payload.exp * 1000, now.getTime() + this.#limits.pendingTtlSeconds * 1000);
    this.#state.update((s) => {
      this.#prune(s, now.getTime());
      this.#checkNonce(s, payload.nonce);
      this.#checkRoomFor(s, input.personId);
      s.nonces = withoutKey(s.nonces, payload.nonce);
      s.certifications[id] = {
        id,
        personId: input.personId,
        kind: input.kind,
        claims,
        request: input.request,
        submittedAt: now.toISOString(),
        expiresAt: new Date(expiresAt).toISOString(),
        status: 'pending',
      };
    });
    return { id, status: 'pending' };
  }

  /** A certification by id; an expired pending one no longer exists. */
  get(id: string): Certification {
    const certification = this.#state.value.certifications[id];
    if (certification === undefined || this.#expired(certification, this.#now().getTime())) {
      throw new KycError('KYC_NOT_FOUND', 'no such certification');
    }
    return certification;
  }

  /**
   * The person collects the outcome with a collection request signed by the key the certification is for
   * (protocol.md §4.3). Disclosures are handed out once, then deleted; later requests see the status only.
   * Each request is accepted once.
   *
   * @returns a snapshot of the certification as it was when collected (with its disclosures, if any)
   * @throws KycError KYC_INVALID_ARGUMENT (malformed), KYC_BAD_SIGNATURE (not signed by its `sub`),
   *   KYC_MISMATCH (another certifier), KYC_EXPIRED, KYC_NOT_FOUND (no such certification for this key),
   *   KYC_CONFLICT (request already used), KYC_CAPACITY. Nothing changes on a refusal.
   */
  collect(token: unknown): Certification {
    const now = this.#now();
    const { payload, id } = verifyCollectionRequest(token, { audience: this.#options.mspId, now });
    return this.#state.update((s) => {
      this.#prune(s, now.getTime());
      const certification = s.certifications[payload.certification_id];
      // Someone else's certification is "not found" too: the answer never tells whether an id exists.
      if (certification === undefined || certification.personId !== payload.sub) {
        throw new KycError('KYC_NOT_FOUND', 'no such certification for this key');
      }
      const used = s.collections ?? {};
      if (id in used) {
        throw new KycError('KYC_CONFLICT', 'this collection request was already used; sign a new one');
      }
      if (Object.keys(used).length >= this.#limits.maxNonces) {
        throw new KycError('KYC_CAPACITY', 'the certifier holds as many collection requests as it may; retry later');
      }
      s.collections = { ...used, [id]: payload.exp * 1000 };
      const snapshot: Certification = { ...certification };
      if (certification.disclosures !== undefined) {
        delete certification.disclosures;
        certification.collectedAt = now.toISOString();
      }
      return snapshot;
    });
  }

  list(status: CertificationStatus | undefined): readonly Certification[] {
    const now = this.#now().getTime();
    return Object.values(this.#state.value.certifications)
      .filter((c) => (status === undefined || c.status === status) && !this.#expired(c, now))
      .sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  }

  /**
   * The officer approves: salts and disclosures are made, the commitment is written to the ledger signed by
   * the officer (Certify, or Renew when this certifier already holds a record of that kind), and the
   * disclosures are kept for the person to collect. On a ledger error the certification stays pending.
   */
  async approve(id: string, officer: string, level: number): Promise<Certification> {
    const certification = this.#pending(id);
    if (!LEVELS.includes(level as AssuranceLevel)) {
      throw new KycError('KYC_INVALID_ARGUMENT', 'level must be 1, 2 or 3');
    }
    const disclosures = Object.entries(certification.claims).map(([name, value]) =>
      createDisclosure(randomBytes(16).toString('base64url'), name, value),
    );
    const decoys = Array.from({ length: this.#options.decoyDigests }, () => sha256Base64Url(randomBytes(32)));
    const now = this.#now();
    const commitment: Commitment = {
      schema: CLAIM_SCHEMA,
      level,
      digests: [...disclosures.map((d) => d.digest), ...decoys].sort(),
      validFrom: now.toISOString(),
      validUntil: new Date(now.getTime() + this.#options.validityDays * 86_400_000).toISOString(),
    };
    const record = await this.#commit(certification, officer, commitment);
    return this.#state.update(() => {
      certification.status = 'approved';
      certification.decidedAt = now.toISOString();
      certification.decidedBy = officer;
      certification.disclosures = disclosures.map((d) => d.disclosure);
      certification.record = {
        certifier: record.certifier,
        kind: record.kind,
        version: record.version,
        level: record.level,
        validUntil: record.validUntil,
      };
      return certification;
    });
  }

  reject(id: string, officer: string, reason: string): Certification {
    const certification = this.#pending(id);
    return this.#state.update(() => {
      certification.status = 'rejected';
      certification.decidedAt = this.#now().toISOString();
      certification.decidedBy = officer;
      certification.reason = reason;
      return certification;
    });
  }

  async #commit(certification: Certification, officer: string, commitment: Commitment): Promise<AttestationRecord> {
    const ledger = this.#options.ledgerFor(officer);
    const exists = await ledger.getAttestation(certification.personId, this.#options.mspId, certification.kind).then(
      () => true,
      (err: unknown) => {
        if (err instanceof KycError && err.code === 'KYC_NOT_FOUND') return false;
        throw err;
      },
    );
    return exists
      ? ledger.renew(certification.personId, certification.kind, certification.request, commitment)
      : ledger.certify(certification.personId, certification.request, commitment);
  }

  #pending(id: string): Certification {
    const certification = this.get(id);
    if (certification.status !== 'pending') {
      throw new KycError('KYC_CONFLICT', `certification is already ${certification.status}`);
    }
    return certification;
  }

  #checkNonce(state: CertifierState, nonce: string): void {
    const entry = state.nonces[nonce];
    if (entry === undefined) {
      throw new KycError('KYC_INVALID_ARGUMENT', 'unknown or already used nonce; ask for a new one');
    }
    if (entry.expiresAt <= this.#now().getTime()) {
      throw new KycError('KYC_EXPIRED', 'the nonce expired; ask for a new one');
    }
  }

  /** The person's and the service's limits on pending certifications. */
  #checkRoomFor(state: CertifierState, personId: string): void {
    const pending = Object.values(state.certifications).filter((c) => c.status === 'pending');
    if (pending.filter((c) => c.personId === personId).length >= this.#limits.maxPendingPerPerson) {
      throw new KycError(
        'KYC_RATE_LIMITED',
        `this person has ${this.#limits.maxPendingPerPerson} pending certifications; wait for a decision`,
      );
    }
    if (pending.length >= this.#limits.maxPending) {
      throw new KycError('KYC_CAPACITY', 'the certifier holds as many pending certifications as it may; retry later');
    }
  }

  #expired(c: Certification, now: number): boolean {
    if (c.status !== 'pending') return false;
    const expiresAt =
      c.expiresAt === undefined
        ? Date.parse(c.submittedAt) + this.#limits.pendingTtlSeconds * 1000
        : Date.parse(c.expiresAt);
    return expiresAt <= now;
  }

  /**
   * Forgets expired nonces, collection requests and pending certifications (with their claims), and
   * disclosures that waited too long to be collected.
   */
  #prune(state: CertifierState, now: number): void {
    state.nonces = Object.fromEntries(Object.entries(state.nonces).filter(([, entry]) => entry.expiresAt > now));
    if (state.collections !== undefined) {
      state.collections = Object.fromEntries(Object.entries(state.collections).filter(([, exp]) => exp > now));
    }
    state.certifications = Object.fromEntries(
      Object.entries(state.certifications).filter(([, c]) => !this.#expired(c, now)),
    );
    const retention = this.#limits.disclosureRetentionSeconds * 1000;
    for (const c of Object.values(state.certifications)) {
      if (c.disclosures !== undefined && c.decidedAt !== undefined && Date.parse(c.decidedAt) + retention < now) {
        delete c.disclosures;
      }
    }
  }
}

function withoutKey<V>(record: Record<string, V>, key: string): Record<string, V> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));
}
