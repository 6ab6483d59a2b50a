import { createHmac, randomBytes } from 'node:crypto';
import {
  assertValidClaims,
  checkCertificationRequest,
  createDisclosure,
  isRecordExists,
  KycError,
  LEVELS,
  publicKeyFromDidKey,
  RECORD_KIND,
  sha256Base64Url,
  type AssuranceLevel,
  type Claims,
  verifyCollectionRequest,
} from '../../../protocol/src';
import type { KycLedger, PreparedTransaction } from '../../../gateway/src/ledger/kyc-ledger';
import type { Attestation, Commitment } from '../../../protocol/src';
import type { CertifierLimits } from '../config';
import type { JsonObject, KycStore, NewRecord, StoredRecord } from '../../../store/src';
import { sweepExpired } from '../common/sweep';
import { SERVICE_SECRET_PREFIX } from '../common/officers';
import type { CertificationStatus, RecordReference } from '../../../protocol/src/http';
import { evidenceSummary, levelFromEvidence, type Evidence } from '../../../intake/src/evidence';

/**
 * The certifier's workflow: a person asks for a nonce, submits claims with a certification request signed by
 * their key, an officer checks the person and approves; the service then makes salted disclosures with a
 * CSPRNG, commits their digests to the ledger (Certify, or Renew when a record exists) signed by the
 * approving officer, and hands the disclosures once to the person, who asks with a request signed by the key
 * the certification is for. Claims never reach the ledger.
 *
 * Everything an anonymous caller can make the service hold is bounded (docs/services.md, "Limits"): nonces
 * per client address and in all, pending certifications per person and in all, and every such entry expires.
 * State lives in the store (docs/storage.md), so single use holds across replicas: a nonce is consumed by one
 * DELETE, a decision is a compare-and-set from `pending`. Claims and disclosures are personal fields
 * (encrypted at rest); claims go when the certification is decided, disclosures when collected or retained
 * too long.
 *
 * An approval survives a crash or a lost answer (docs/services.md, "Retries"): the disclosures and the
 * endorsed, signed Certify are stored first (`pending → approving`), then that same transaction is ordered. A
 * repeated approve, or the sweep, orders those bytes again: one transaction id commits once, so the ledger
 * never holds a commitment whose salts were lost, and a retry never makes a second one.
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

export interface Certification {
  readonly id: string;
  readonly personId: string;
  readonly kind: string;
  /** The submitted claims, while pending (dropped once decided). */
  readonly claims?: Claims;
  readonly request: string;
  readonly submittedAt: string;
  /** When a pending certification is dropped: its request's `exp`, or submission + the pending TTL. */
  readonly expiresAt?: string;
  readonly status: CertificationStatus;
  readonly decidedAt?: string;
  readonly decidedBy?: string;
  readonly reason?: string;
  readonly disclosures?: string[];
  readonly record?: RecordReference;
  /** When the person collected the disclosures (they are deleted then). */
  readonly collectedAt?: string;
  /**
   * What the intake engine saw (docs/intake.md §4): while pending in full (personal, encrypted at rest),
   * once decided only its summary (no field read from the document).
   */
  readonly evidence?: Evidence;
}

/** The highest level an officer may approve at: what the evidence supports for the claims, 1 without it. */
export function supportedLevel(c: Pick<Certification, 'claims' | 'evidence'>): AssuranceLevel {
  return c.evidence === undefined || c.claims === undefined ? 1 : levelFromEvidence(c.evidence, c.claims);
}

export interface CertificationServiceOptions {
  readonly mspId: string;
  /** The service's state store (shared by its replicas). */
  readonly store: KycStore;
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
const STATUSES: readonly CertificationStatus[] = ['pending', 'approved', 'rejected'];
/**
 * The store status of an approval whose Certify is prepared but not known to be committed; the API shows it
 * as `pending`. Its record holds the disclosures and `approval` (the level, the officer, the transaction).
 */
const APPROVING = 'approving';
/** The sweep completes an approval in progress this long after it began (longer than any ledger deadline). */
const STALE_APPROVAL_MS = 120_000;

/** What an approval in progress keeps beside the certification, until the ledger has decided. */
interface Approval {
  readonly level: AssuranceLevel;
  readonly officer: string;
  readonly at: string;
  readonly transaction: PreparedTransaction<'Certify' | 'Renew'>;
}
/** Nonces and remembered signed requests (collection, evidence) share the `nonces` table; their ids carry a prefix no nonce has. */
const ISSUED = 'issued';
const USED = 'used';
const usedNonce = (): KycError => new KycError('KYC_CONFLICT', 'this nonce was already used; ask for a new one');
/** Status of a remembered signed request (collection or evidence); the value predates evidence requests. */
const REMEMBERED = 'collected';
const rememberedId = (jwsId: string): string => `c:${jwsId}`;
/** The key of client-address digests: one random key per organisation, in the store, so replicas agree. */
const CLIENT_KEY_ID = `${SERVICE_SECRET_PREFIX}client-address-key`;

const toJson = (value: object): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;

/** The store record of a certification: personal fields (claims, disclosures) apart, encrypted at rest. */
export function certificationRecord(c: Certification, retentionMs: number): NewRecord {
  const { id, personId, status, claims, disclosures, expiresAt, evidence, ...rest } = c;
  const personal = personalOf({ status, claims, disclosures, evidence });
  const summary = evidence === undefined || status === 'pending' ? {} : { evidence: evidenceSummary(evidence) };
  const heldUntil = heldUntilOf(c, retentionMs);
  return {
    id,
    status,
    personId,
    createdAt: Date.parse(c.submittedAt),
    ...(heldUntil === undefined ? {} : { expiresAt: heldUntil }),
    data: toJson({ ...rest, ...summary, ...(expiresAt === undefined ? {} : { expiresAt }) }),
    ...(Object.keys(personal).length === 0 ? {} : { personal }),
  };
}

/** The personal fields: claims and the full evidence while pending, disclosures until collected. */
function personalOf(c: Pick<Certification, 'status' | 'claims' | 'disclosures' | 'evidence'>): JsonObject {
  const pending = c.status === 'pending';
  return {
    ...(c.claims === undefined || !pending ? {} : { claims: c.claims }),
    ...(c.disclosures === undefined ? {} : { disclosures: c.disclosures }),
    ...(c.evidence === undefined || !pending ? {} : { evidence: toJson(c.evidence) }),
  };
}

/** Until when the record holds personal data: a pending one's expiry, or the retention of uncollected disclosures. */
function heldUntilOf(c: Certification, retentionMs: number): number | undefined {
  if (c.status === 'pending') return c.expiresAt === undefined ? undefined : Date.parse(c.expiresAt);
  if (c.disclosures === undefined) return undefined;
  return Date.parse(c.decidedAt ?? c.submittedAt) + retentionMs;
}

/** The non-personal document without an approval in progress. */
const withoutApproval = (data: JsonObject): JsonObject =>
  Object.fromEntries(Object.entries(data).filter(([key]) => key !== 'approval'));

function fromRecord(r: StoredRecord): Certification {
  const data = withoutApproval(r.data) as unknown as Omit<
    Certification,
    'id' | 'personId' | 'status' | 'claims' | 'disclosures'
  >;
  const personal = (r.personal ?? {}) as { claims?: Claims; disclosures?: string[]; evidence?: Evidence };
  // An approval in progress is still pending to everyone; its disclosures are not the person's until committed.
  const approving = r.status === APPROVING;
  return {
    ...data,
    ...(personal.evidence === undefined ? {} : { evidence: personal.evidence }),
    id: r.id,
    personId: r.personId ?? '',
    status: approving ? 'pending' : (r.status as CertificationStatus),
    ...(personal.claims === undefined ? {} : { claims: personal.claims }),
    ...(personal.disclosures === undefined || approving ? {} : { disclosures: personal.disclosures }),
  };
}

const approvalOf = (r: StoredRecord): Approval => (r.data as unknown as { approval: Approval }).approval;

/** The summary of a record's evidence, kept (non-personal) once it is decided. */
function decidedEvidence(r: StoredRecord): { evidence?: Evidence } {
  const evidence = fromRecord(r).evidence;
  return evidence === undefined ? {} : { evidence: evidenceSummary(evidence) };
}

/** @throws KycError KYC_CONFLICT when the certification was decided. */
function stillPending(c: Certification): Certification {
  if (c.status !== 'pending') throw new KycError('KYC_CONFLICT', `certification is already ${c.status}`);
  return c;
}

const dataOf = (r: StoredRecord, change: Record<string, unknown>): JsonObject => toJson({ ...r.data, ...change });

export class CertificationService {
  readonly #options: CertificationServiceOptions;
  readonly #limits: CertifierLimits;
  readonly #store: KycStore;
  readonly #now: () => Date;
  #clientKey: Buffer | undefined;

  constructor(options: CertificationServiceOptions) {
    this.#options = options;
    this.#store = options.store;
    this.#limits = { ...DEFAULT_CERTIFIER_LIMITS, ...options.limits };
    this.#now = options.now ?? ((): Date => new Date());
  }

  /** The certifier organisation this service speaks for. */
  get mspId(): string {
    return this.#options.mspId;
  }

  /**
   * A single-use nonce the person's certification request must carry.
   *
   * @param client the caller's address, to cap the nonces one client holds (stored only as a keyed digest)
   * @throws KycError KYC_RATE_LIMITED when this client holds its share of unused nonces, KYC_CAPACITY when
   *   the service holds as many as it may; nothing is stored then.
   */
  async issueNonce(client = 'local'): Promise<{ nonce: string; certifier: string; expiresAt: string }> {
    const nonce = newId();
    const now = this.#now().getTime();
    const expiresAt = now + this.#options.nonceTtlSeconds * 1000;
    const owner = createHmac('sha256', await this.#clientAddressKey())
      .update(client)
      .digest('base64url')
      .slice(0, 22);
    if (await this.#atCap({ status: ISSUED, owner }, this.#limits.maxNoncesPerClient, now)) {
      throw new KycError('KYC_RATE_LIMITED', 'too many unused nonces for this client; use or let them expire');
    }
    if (await this.#atCap({ status: ISSUED }, this.#limits.maxNonces, now)) {
      throw new KycError('KYC_CAPACITY', 'the certifier holds as many nonces as it may; retry later');
    }
    await this.#store.insert('nonces', { id: nonce, status: ISSUED, owner, expiresAt, createdAt: now, data: {} });
    return { nonce, certifier: this.#options.mspId, expiresAt: new Date(expiresAt).toISOString() };
  }

  /**
   * Checks a person's submission completely (claims, signature by the person's key, audience, kind, claims
   * hash, freshness, nonce, the person's and the service's pending limits) and queues it for an officer.
   * Nothing is stored, and the nonce stays usable, when any check fails. The nonce is then consumed by one
   * statement, so of two submissions with one nonce (on any replica) exactly one proceeds.
   *
   * @throws KycError with the code of the first failed check: KYC_RATE_LIMITED when the person has the
   *   most pending certifications allowed, KYC_CAPACITY when the service has.
   */
  async submit(input: SubmitInput): Promise<{ id: string; status: CertificationStatus }> {
    const payload = this.#checkSubmission(input);
    const now = this.#now();
    const requestDigest = sha256Base64Url(input.request);
    // The same signed request again (a client that lost the answer): the certification it made, not a refusal.
    const earlier = await this.#submittedBefore(payload.nonce, requestDigest);
    if (earlier !== undefined) return earlier;
    await this.#checkNonce(payload.nonce, now.getTime());
    await this.#checkRoomFor(input.personId, now.getTime());
    // The single-use decision: one compare-and-set, so of concurrent submissions (any replica) one proceeds.
    // The used nonce stays until it expires, so a later reuse is a conflict too, not an unknown nonce.
    const id = newId();
    const used = await this.#store.transition('nonces', payload.nonce, {
      from: ISSUED,
      to: USED,
      data: { certification: id, request: requestDigest, at: now.getTime() },
    });
    if (used === undefined) throw usedNonce();
    const expiresAt = Math.min(payload.exp * 1000, now.getTime() + this.#limits.pendingTtlSeconds * 1000);
    const certification: Certification = {
      id,
      personId: input.personId,
      kind: input.kind,
      claims: input.claims as Claims,
      request: input.request,
      submittedAt: now.toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      status: 'pending',
    };
    try {
      await this.#store.insert('certifications', certificationRecord(certification, this.#retentionMs));
    } catch (err) {
      // No partial write: the nonce becomes usable again (best effort; it expires anyway).
      await this.#store
        .transition('nonces', payload.nonce, { from: USED, to: ISSUED, data: {} })
        .catch(() => undefined);
      throw err;
    }
    return { id, status: 'pending' };
  }

  #checkSubmission(input: SubmitInput): { nonce: string; exp: number } {
    assertValidClaims(input.claims);
    if (!RECORD_KIND.test(input.kind)) {
      throw new KycError('KYC_INVALID_ARGUMENT', `kind must match ${RECORD_KIND.source}`);
    }
    const { payload } = checkCertificationRequest(
      input.request,
      {
        personId: input.personId,
        publicKey: publicKeyFromDidKey(input.personId),
        certifier: this.#options.mspId,
        kind: input.kind,
        claims: { claims: input.claims, salt: input.claimsSalt },
      },
      Math.floor(this.#now().getTime() / 1000),
    );
    return payload;
  }

  /** The certification a nonce was used for, if this same request (by digest) used it. */
  async #submittedBefore(
    nonce: string,
    requestDigest: string,
  ): Promise<{ id: string; status: CertificationStatus } | undefined> {
    const entry = await this.#store.get('nonces', nonce);
    const certification = entry?.data.certification;
    if (entry?.status !== USED || entry.data.request !== requestDigest || typeof certification !== 'string') {
      return undefined;
    }
    const existing = await this.get(certification).catch(() => undefined);
    if (existing !== undefined) return { id: existing.id, status: existing.status };
    // Used a moment ago: the first submission is between using the nonce and storing the certification.
    const usedAt = typeof entry.data.at === 'number' ? entry.data.at : 0;
    if (this.#now().getTime() - usedAt < 30_000) {
      throw new KycError('KYC_UNAVAILABLE', 'this request is being submitted; retry');
    }
    return undefined;
  }

  /** A certification by id; an expired pending one no longer exists. */
  async get(id: string): Promise<Certification> {
    return fromRecord(await this.#record(id));
  }

  /**
   * The person collects the outcome with a collection request signed by the key the certification is for
   * (protocol.md §4.3). Disclosures are handed out once, then deleted; later requests see the status only.
   * Each request is accepted once (remembered in the store until it expires).
   *
   * @returns a snapshot of the certification as it was when collected (with its disclosures, if any)
   * @throws KycError KYC_INVALID_ARGUMENT (malformed), KYC_BAD_SIGNATURE (not signed by its `sub`),
   *   KYC_MISMATCH (another certifier), KYC_EXPIRED, KYC_NOT_FOUND (no such certification for this key),
   *   KYC_CONFLICT (request already used), KYC_CAPACITY. Nothing changes on a refusal.
   */
  async collect(token: unknown): Promise<Certification> {
    const now = this.#now();
    const { payload, id } = verifyCollectionRequest(token, { audience: this.#options.mspId, now });
    const record = await this.#store.get('certifications', payload.certification_id);
    // Someone else's certification is "not found" too: the answer never tells whether an id exists.
    if (record === undefined || record.personId !== payload.sub || this.#expired(record, now.getTime())) {
      throw new KycError('KYC_NOT_FOUND', 'no such certification for this key');
    }
    await this.useOnce(id, payload.exp);
    return this.#handOut(record, now.getTime());
  }

  /** The certification as collected; disclosures once (dropped now), or none when past the retention. */
  async #handOut(record: StoredRecord, now: number): Promise<Certification> {
    const snapshot = fromRecord(record);
    if (snapshot.disclosures === undefined || record.status !== 'approved') return snapshot;
    // Past the retention (the sweep has not run yet): the disclosures go now, unseen.
    const late = record.expiresAt !== undefined && record.expiresAt <= now;
    await this.#store.transition('certifications', record.id, {
      from: 'approved',
      to: 'approved',
      removePersonal: ['disclosures'],
      data: late ? record.data : dataOf(record, { collectedAt: new Date(now).toISOString() }),
      expiresAt: null,
    });
    return late ? { ...snapshot, disclosures: undefined } : snapshot;
  }

  /**
   * Keeps the evidence with a pending certification of `personId` (replacing earlier evidence), encrypted at
   * rest; returns the level it supports for the claims.
   *
   * @throws KycError KYC_NOT_FOUND (no such pending certification of this person), KYC_CONFLICT (decided).
   */
  async attachEvidence(id: string, personId: string, evidence: Evidence): Promise<AssuranceLevel> {
    const certification = await this.ownPending(id, personId);
    // A compare-and-set on the status alone: the non-personal data stays as it is.
    const done = await this.#store.transition('certifications', id, {
      from: 'pending',
      to: 'pending',
      personal: { evidence: toJson(evidence) },
    });
    if (done === undefined) throw new KycError('KYC_CONFLICT', 'the certification was decided or dropped meanwhile');
    return supportedLevel({ ...certification, evidence });
  }

  /**
   * The pending certification `id` if it is `personId`'s; another person's is "not found" too, so the answer
   * never tells whether an id exists.
   */
  async ownPending(id: string, personId: string): Promise<Certification> {
    const certification = await this.get(id).catch(() => undefined);
    if (certification === undefined || certification.personId !== personId) {
      throw new KycError('KYC_NOT_FOUND', 'no such certification for this key');
    }
    return stillPending(certification);
  }

  /**
   * Remembers a signed request (by its JWS id) until it expires, so it is accepted once.
   *
   * @throws KycError KYC_CONFLICT when it was used, KYC_CAPACITY when the service remembers as many as it may.
   */
  async useOnce(jwsId: string, expiresAtSeconds: number): Promise<void> {
    const now = this.#now().getTime();
    if (await this.#atCap({ status: REMEMBERED }, this.#limits.maxNonces, now)) {
      throw new KycError('KYC_CAPACITY', 'the certifier holds as many signed requests as it may; retry later');
    }
    const remembered = await this.#store.insert('nonces', {
      id: rememberedId(jwsId),
      status: REMEMBERED,
      expiresAt: expiresAtSeconds * 1000,
      createdAt: now,
      data: {},
    });
    if (!remembered) throw new KycError('KYC_CONFLICT', 'this request was already used; sign a new one');
  }

  async list(status: CertificationStatus | undefined): Promise<readonly Certification[]> {
    const now = this.#now().getTime();
    const records: StoredRecord[] = [];
    for (const s of status === undefined ? STATUSES : [status]) {
      records.push(...(await this.#store.listByStatus('certifications', s, 1000)));
      if (s === 'pending') records.push(...(await this.#store.listByStatus('certifications', APPROVING, 1000)));
    }
    return records
      .filter((r) => !this.#expired(r, now))
      .map(fromRecord)
      .sort((a, b) => a.submittedAt.localeCompare(b.submittedAt));
  }

  /**
   * The officer approves: salts and disclosures are made, the commitment is endorsed (Certify, or Renew when
   * this certifier already holds a record of that kind) and signed by the officer, stored with the
   * disclosures (`pending → approving`, a compare-and-set: of concurrent approvals one proceeds), then ordered;
   * once committed the disclosures replace the claims, for the person to collect.
   *
   * Repeating an approval is safe and gives the same outcome: one in progress is completed by ordering its
   * stored transaction again (never a new one), one already approved at this level is returned as it is.
   *
   * @throws KycError KYC_FORBIDDEN above the evidence's level; KYC_CONFLICT when decided otherwise or at
   *   another level; KYC_UNAVAILABLE when the ledger's outcome is unknown (the approval stays in progress:
   *   retry); any other ledger refusal leaves the certification pending as it was.
   */
  async approve(id: string, officer: string, requestedLevel: number): Promise<Certification> {
    const level = requestedLevel as AssuranceLevel;
    if (!LEVELS.includes(level)) {
      throw new KycError('KYC_INVALID_ARGUMENT', 'level must be 1, 2 or 3');
    }
    const record = await this.#record(id);
    if (record.status === APPROVING || record.status === 'approved') return this.#repeatApproval(record, level);
    const certification = stillPending(fromRecord(record));
    // The level on the ledger never exceeds what the evidence supports (docs/intake.md §4).
    const supported = supportedLevel(certification);
    if (level > supported) {
      throw new KycError(
        'KYC_FORBIDDEN',
        `the evidence supports level ${supported} at most${certification.evidence === undefined ? ' (no document was checked)' : ''}`,
      );
    }
    if (certification.claims === undefined)
      throw new KycError('KYC_INTERNAL', 'a pending certification without claims');
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
    const approval: Approval = {
      level,
      officer,
      at: now.toISOString(),
      transaction: await this.#prepare(certification, officer, commitment),
    };
    const approving = await this.#store.transition('certifications', id, {
      from: 'pending',
      to: APPROVING,
      data: dataOf(record, { approval }),
      personal: { disclosures: disclosures.map((d) => d.disclosure) },
      // Never swept while in progress: the sweep completes it instead.
      expiresAt: null,
    });
    // Decided first by another approval, or by this one asked again (a client retrying while the first attempt
    // was still endorsing): the latter joins it, anything else is refused.
    if (approving === undefined) return this.#repeatApproval(await this.#record(id), level);
    return this.#completeApproval(approving);
  }

  /** An approval asked for again (a client retrying): the same outcome, or KYC_CONFLICT for another level. */
  async #repeatApproval(record: StoredRecord, level: AssuranceLevel): Promise<Certification> {
    if (record.status === 'pending') {
      throw new KycError(
        'KYC_UNAVAILABLE',
        'the approval was refused meanwhile and the certification is pending; retry',
      );
    }
    if (record.status !== APPROVING && record.status !== 'approved') {
      throw new KycError('KYC_CONFLICT', `certification is already ${String(record.status)}`);
    }
    const current = record.status === 'approved' ? fromRecord(record).record?.level : approvalOf(record).level;
    if (current !== level) {
      throw new KycError('KYC_CONFLICT', `the certification is already approved at level ${String(current)}`);
    }
    return record.status === 'approved' ? fromRecord(record) : this.#completeApproval(record);
  }

  /**
   * Orders the stored transaction of an approval in progress (again) and decides it: approved once committed;
   * back to pending, the disclosures dropped, when the ledger refused it for good; left in progress when the
   * outcome is unknown.
   */
  async #completeApproval(record: StoredRecord): Promise<Certification> {
    const approval = approvalOf(record);
    let attestation: Attestation;
    try {
      attestation = await this.#options.ledgerFor(approval.officer).commit(approval.transaction);
    } catch (err) {
      if (!(err instanceof KycError) || err.code !== 'KYC_UNAVAILABLE') await this.#abandonApproval(record);
      throw err;
    }
    const reference: RecordReference = {
      certifier: attestation.certifier,
      kind: attestation.kind,
      version: attestation.version,
      level: attestation.level,
      validUntil: attestation.validUntil,
    };
    return this.#decide(record.id, {
      from: APPROVING,
      to: 'approved',
      change: { decidedAt: approval.at, decidedBy: approval.officer, record: reference },
      expiresAt: Date.parse(approval.at) + this.#retentionMs,
    });
  }

  /** The ledger refused the approval's transaction for good: pending again, as before the approval. */
  async #abandonApproval(record: StoredRecord): Promise<void> {
    const data = withoutApproval(record.data);
    const expiresAt = fromRecord(record).expiresAt;
    await this.#store.transition('certifications', record.id, {
      from: APPROVING,
      to: 'pending',
      data,
      removePersonal: ['disclosures'],
      expiresAt: expiresAt === undefined ? null : Date.parse(expiresAt),
    });
  }

  async reject(id: string, officer: string, reason: string): Promise<Certification> {
    const record = await this.#record(id);
    if (record.status === APPROVING) {
      throw new KycError('KYC_CONFLICT', 'the certification is being approved; the ledger decides');
    }
    stillPending(fromRecord(record));
    return this.#decide(id, {
      from: 'pending',
      to: 'rejected',
      change: { decidedAt: this.#now().toISOString(), decidedBy: officer, reason },
    });
  }

  /**
   * Expiry and retention (run on a timer): expired nonces and collection requests go; expired pending
   * certifications go with their claims; uncollected disclosures go after the retention time.
   */
  async sweep(): Promise<void> {
    const now = this.#now().getTime();
    await this.#store.deleteExpired('nonces', now);
    await sweepExpired(this.#store, 'certifications', now, { pending: 'delete', approved: ['disclosures'] });
    await this.completeApprovals();
  }

  /**
   * Completes approvals left in progress by a crash or an unknown outcome (run by the sweep): each one older
   * than `olderThanMs` has its stored transaction ordered again and is decided. Returns how many were decided.
   */
  async completeApprovals(olderThanMs = STALE_APPROVAL_MS): Promise<number> {
    let decided = 0;
    const before = this.#now().getTime() - olderThanMs;
    for (const record of await this.#store.listByStatus('certifications', APPROVING, 100)) {
      if (Date.parse(approvalOf(record).at) > before) continue;
      decided += await this.#completeApproval(record).then(
        () => 1,
        () => 0,
      );
    }
    return decided;
  }

  get #retentionMs(): number {
    return this.#limits.disclosureRetentionSeconds * 1000;
  }

  async #decide(
    id: string,
    d: { from: string; to: CertificationStatus; change: Record<string, unknown>; expiresAt?: number },
  ): Promise<Certification> {
    const current = await this.#store.get('certifications', id);
    const kept = withoutApproval(current?.data ?? {});
    const done =
      current === undefined
        ? undefined
        : await this.#store.transition('certifications', id, {
            from: d.from,
            to: d.to,
            data: toJson({ ...kept, ...d.change, ...decidedEvidence(current) }),
            // The claims and the full evidence go with the decision; the evidence's summary stays.
            removePersonal: ['claims', 'evidence'],
            expiresAt: d.expiresAt ?? null,
          });
    if (done === undefined) {
      throw new KycError('KYC_CONFLICT', 'the certification was decided or dropped meanwhile');
    }
    return fromRecord(done);
  }

  /** Endorses the commitment as the officer: Certify, or Renew when the contract says the record exists. */
  async #prepare(
    certification: Certification,
    officer: string,
    commitment: Commitment,
  ): Promise<PreparedTransaction<'Certify' | 'Renew'>> {
    const ledger = this.#options.ledgerFor(officer);
    // Certify first (most approvals are first certifications); the contract says when the record exists.
    try {
      return await ledger.prepare('Certify', certification.personId, certification.request, commitment);
    } catch (err) {
      if (!isRecordExists(err)) throw err;
      return ledger.prepare('Renew', certification.personId, certification.kind, certification.request, commitment);
    }
  }

  /** The stored certification `id`; an expired pending one no longer exists. */
  async #record(id: string): Promise<StoredRecord> {
    const record = await this.#store.get('certifications', id);
    if (record === undefined || this.#expired(record, this.#now().getTime())) {
      throw new KycError('KYC_NOT_FOUND', 'no such certification');
    }
    return record;
  }

  async #checkNonce(nonce: string, now: number): Promise<void> {
    const entry = await this.#store.get('nonces', nonce);
    if (entry?.status === USED) throw usedNonce();
    if (entry?.status !== ISSUED) {
      throw new KycError('KYC_INVALID_ARGUMENT', 'unknown nonce; ask for a new one');
    }
    if ((entry.expiresAt ?? 0) <= now) {
      throw new KycError('KYC_EXPIRED', 'the nonce expired; ask for a new one');
    }
  }

  /** The person's and the service's limits on pending certifications. */
  async #checkRoomFor(personId: string, now: number): Promise<void> {
    if (await this.#atCap({ status: 'pending', personId }, this.#limits.maxPendingPerPerson, now)) {
      throw new KycError(
        'KYC_RATE_LIMITED',
        `this person has ${this.#limits.maxPendingPerPerson} pending certifications; wait for a decision`,
      );
    }
    if (await this.#atCap({ status: 'pending' }, this.#limits.maxPending, now)) {
      throw new KycError('KYC_CAPACITY', 'the certifier holds as many pending certifications as it may; retry later');
    }
  }

  /**
   * Whether `cap` records match (a bounded count). Expired records count until swept, so at the cap the
   * sweep runs once before refusing: a cap never refuses because of state that already expired.
   */
  async #atCap(
    filter: { status: string; owner?: string; personId?: string },
    cap: number,
    now: number,
  ): Promise<boolean> {
    const table = filter.status === 'pending' ? 'certifications' : 'nonces';
    if ((await this.#store.count(table, { ...filter, atMost: cap })) < cap) return false;
    await (table === 'nonces'
      ? this.#store.deleteExpired('nonces', now)
      : sweepExpired(this.#store, 'certifications', now, { pending: 'delete', approved: ['disclosures'] }));
    return (await this.#store.count(table, { ...filter, atMost: cap })) >= cap;
  }

  #expired(r: StoredRecord, now: number): boolean {
    return r.status === 'pending' && r.expiresAt !== undefined && r.expiresAt <= now;
  }

  /** The organisation's key for client-address digests: made once by whichever replica comes first. */
  async #clientAddressKey(): Promise<Buffer> {
    if (this.#clientKey !== undefined) return this.#clientKey;
    await this.#store.insert('officers', {
      id: CLIENT_KEY_ID,
      status: 'secret',
      data: {},
      personal: { key: randomBytes(32).toString('base64url') },
    });
    const key = (await this.#store.get('officers', CLIENT_KEY_ID))?.personal?.key;
    if (typeof key !== 'string') throw new KycError('KYC_INTERNAL', 'the client-address key is missing');
    this.#clientKey = Buffer.from(key, 'base64url');
    return this.#clientKey;
  }
}
