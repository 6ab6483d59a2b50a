import { randomBytes } from 'node:crypto';
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
  verifyJws,
  type AssuranceLevel,
  type Claims,
} from '../../../../protocol/src';
import type { AttestationRecord, Commitment, KycLedger } from '../../ledger/kyc-ledger';
import { JsonState } from '../common/json-state';

/**
 * The certifier's workflow: a person asks for a nonce, submits claims with a certification request signed by
 * their key, an officer checks the person and approves; the service then makes salted disclosures with a
 * CSPRNG, commits their digests to the ledger (Certify, or Renew when a record exists) signed by the
 * approving officer, and hands the disclosures to the person. Claims never reach the ledger.
 */

export const CLAIM_SCHEMA = 'kyc.person.v1';
/** Disclosures wait this long for the person to collect them, then are dropped from the service. */
export const DISCLOSURE_RETENTION_MS = 7 * 24 * 3600 * 1000;

export type CertificationStatus = 'pending' | 'approved' | 'rejected';

export interface Certification {
  readonly id: string;
  readonly personId: string;
  readonly kind: string;
  readonly claims: Claims;
  readonly request: string;
  readonly submittedAt: string;
  status: CertificationStatus;
  decidedAt?: string;
  decidedBy?: string;
  reason?: string;
  disclosures?: string[];
  record?: RecordReference;
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
}

interface CertifierState {
  nonces: Record<string, Nonce>;
  certifications: Record<string, Certification>;
}

export interface CertificationServiceOptions {
  readonly mspId: string;
  readonly dataDir: string;
  readonly validityDays: number;
  readonly decoyDigests: number;
  readonly nonceTtlSeconds: number;
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
  readonly #state: JsonState<CertifierState>;
  readonly #now: () => Date;

  constructor(options: CertificationServiceOptions) {
    this.#options = options;
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

  /** A single-use nonce the person's certification request must carry. */
  issueNonce(): { nonce: string; certifier: string; expiresAt: string } {
    const nonce = newId();
    const expiresAt = this.#now().getTime() + this.#options.nonceTtlSeconds * 1000;
    this.#state.update((s) => {
      this.#dropExpired(s);
      s.nonces[nonce] = { expiresAt };
    });
    return { nonce, certifier: this.#options.mspId, expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * Checks a person's submission completely (claims, signature by the person's key, audience, kind, claims
   * hash, freshness, nonce) and queues it for an officer. Nothing is stored when any check fails.
   *
   * @throws KycError with the code of the first failed check.
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
    const nowSeconds = Math.floor(this.#now().getTime() / 1000);
    assertFresh(
      payload.iat,
      payload.exp,
      nowSeconds,
      'certification request',
      MAX_CERTIFICATION_REQUEST_LIFETIME_SECONDS,
    );
    const id = newId();
    this.#state.update((s) => {
      this.#consumeNonce(s, payload.nonce);
      s.certifications[id] = {
        id,
        personId: input.personId,
        kind: input.kind,
        claims,
        request: input.request,
        submittedAt: this.#now().toISOString(),
        status: 'pending',
      };
    });
    return { id, status: 'pending' };
  }

  get(id: string): Certification {
    const certification = this.#state.value.certifications[id];
    if (certification === undefined) {
      throw new KycError('KYC_NOT_FOUND', 'no such certification');
    }
    return certification;
  }

  list(status: CertificationStatus | undefined): readonly Certification[] {
    return Object.values(this.#state.value.certifications)
      .filter((c) => status === undefined || c.status === status)
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

  #consumeNonce(state: CertifierState, nonce: string): void {
    const entry = state.nonces[nonce];
    if (entry === undefined) {
      throw new KycError('KYC_INVALID_ARGUMENT', 'unknown or already used nonce; ask for a new one');
    }
    state.nonces = withoutKey(state.nonces, nonce);
    if (entry.expiresAt <= this.#now().getTime()) {
      throw new KycError('KYC_EXPIRED', 'the nonce expired; ask for a new one');
    }
  }

  /** Forgets expired nonces and disclosures that waited too long to be collected. */
  #dropExpired(state: CertifierState): void {
    const now = this.#now().getTime();
    state.nonces = Object.fromEntries(Object.entries(state.nonces).filter(([, entry]) => entry.expiresAt > now));
    for (const c of Object.values(state.certifications)) {
      if (
        c.disclosures !== undefined &&
        c.decidedAt !== undefined &&
        Date.parse(c.decidedAt) + DISCLOSURE_RETENTION_MS < now
      ) {
        delete c.disclosures;
      }
    }
  }
}

function withoutKey<V>(record: Record<string, V>, key: string): Record<string, V> {
  return Object.fromEntries(Object.entries(record).filter(([k]) => k !== key));
}
