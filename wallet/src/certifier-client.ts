import {
  CERTIFICATION_ID,
  EVIDENCE_CONTENT_TYPE,
  KycError,
  createEvidenceRequest,
  evidencePlaintext,
  parseEncryptionJwk,
  type EvidenceFiles,
  MSP_ID,
  NONCE,
  RECORD_KIND,
  createCollectionRequest,
  type Es256Signer,
} from '../../protocol/src';
import { isIsoUtc, parseRecordReference, type RecordReference } from './credential';
import { checkServiceUrl, requestJson, type HttpOptions } from './http';
import { encryptToOrganisation } from './jwe';
import type {
  CertificationStatusAnswer,
  CertificationSubmission,
  CollectedCertification,
  EvidenceAnswer,
  NonceAnswer,
} from '../../protocol/src/http';

/**
 * The certifier service's API as the wallet uses it (docs/protocol.md §Certification):
 *
 * - `POST /v1/certifications/nonce` `{}` → `{ nonce, certifier, expiresAt }`
 * - `POST /v1/certifications` `{ personId, kind, claims, claimsSalt, request }` → `{ id, status }`
 * - `POST /v1/certifications/:id/evidence` `{ jwe }` (document photo, selfie or chip files, encrypted to the
 *   certifier's key, signed inside by the person's key) → `{ id, status, supportedLevel, document?, chip?, face }`
 * - `GET /v1/certifications/:id` → `{ id, status }`
 * - `POST /v1/certifications/collect` `{ request }` (signed by the person's key) →
 *   `{ id, status, disclosures?, record?, reason?, collectedAt? }`: the disclosures the first time only
 *
 * Every answer is checked before it is returned; errors come back as `KycError` with the service's code.
 */

/**
 * A collected certification after the wallet's checks: the protocol's message (protocol/src/http) with its
 * record reference parsed.
 */
export type CertificationState = Omit<CollectedCertification, 'record' | 'disclosures'> & {
  readonly disclosures?: readonly string[];
  readonly record?: RecordReference;
};

/** The person's key as the collection request needs it. */
export interface CollectingKey {
  readonly did: string;
  readonly sign: Es256Signer;
}

export interface CertifierClient {
  /** @throws KycError with the service's code, or KYC_UNAVAILABLE. */
  requestNonce(): Promise<NonceAnswer>;
  /** @throws KycError with the service's code, or KYC_UNAVAILABLE. */
  submit(submission: CertificationSubmission): Promise<CertificationStatusAnswer>;
  /** Status only (no key needed). @throws KycError with the service's code, or KYC_UNAVAILABLE. */
  status(id: string): Promise<CertificationStatusAnswer>;
  /**
   * Collects the outcome with a fresh request signed by `key` for `certifier` (the MSP id of the nonce
   * answer). The certifier hands the disclosures out once.
   *
   * @throws KycError with the service's code, or KYC_UNAVAILABLE.
   */
  collect(id: string, key: CollectingKey, certifier: string): Promise<CertificationState>;
  /**
   * Sends evidence for the pending certification `id`: the files encrypted to the certifier's key (from its
   * nonce answer) with a request signed by `key` naming them.
   *
   * @throws KycError with the service's code (e.g. KYC_UNREADABLE, KYC_MISMATCH), or KYC_UNAVAILABLE.
   */
  submitEvidence(
    id: string,
    key: CollectingKey,
    nonce: Pick<NonceAnswer, 'certifier' | 'encryptionJwk'>,
    files: EvidenceFiles,
  ): Promise<EvidenceAnswer>;
}

/** Request ids are opaque to the wallet but must be safe in a URL path and in a file. */
export const REQUEST_ID = CERTIFICATION_ID;
const STATUSES: readonly string[] = ['pending', 'approved', 'rejected'];
const MAX_REASON_LENGTH = 500;

function bad(what: string): never {
  throw new KycError('KYC_UNAVAILABLE', `certifier service answered with a malformed ${what}`);
}

function asObject(value: unknown, what: string): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : bad(what);
}

function parseNonceAnswer(value: unknown): NonceAnswer {
  const { nonce, certifier, expiresAt, encryptionJwk } = asObject(value, 'nonce');
  if (typeof nonce !== 'string' || !NONCE.test(nonce) || typeof certifier !== 'string' || !MSP_ID.test(certifier)) {
    bad('nonce');
  }
  let key: NonceAnswer['encryptionJwk'];
  try {
    key = parseEncryptionJwk(encryptionJwk, 'nonce answer');
  } catch {
    bad('encryption key');
  }
  return isIsoUtc(expiresAt) ? { nonce, certifier, expiresAt, encryptionJwk: key } : bad('nonce expiry');
}

function parseEvidenceAnswer(value: unknown, expectedId: string): EvidenceAnswer {
  const body = asObject(value, 'evidence answer');
  const { id, status } = parseIdAndStatus(body);
  const level = body.supportedLevel;
  if (id !== expectedId || (level !== 1 && level !== 2 && level !== 3)) bad('evidence answer');
  return { ...(body as unknown as EvidenceAnswer), id, status, supportedLevel: level };
}

function parseIdAndStatus(body: Record<string, unknown>): CertificationStatusAnswer {
  const { id, status } = body;
  if (typeof id !== 'string' || !REQUEST_ID.test(id) || typeof status !== 'string' || !STATUSES.includes(status)) {
    bad('certification id or status');
  }
  return { id, status: status as CertificationStatusAnswer['status'] };
}

function parseState(value: unknown, expectedId: string): CertificationState {
  const body = asObject(value, 'certification state');
  const { id, status } = parseIdAndStatus(body);
  if (id !== expectedId) {
    bad('certification id');
  }
  if (status === 'approved') {
    return parseApproved(id, body);
  }
  const reason = body.reason;
  if (typeof reason === 'string') {
    return { id, status, reason: reason.slice(0, MAX_REASON_LENGTH) };
  }
  return { id, status };
}

function parseApproved(id: string, body: Record<string, unknown>): CertificationState {
  const { disclosures, collectedAt } = body;
  const record = parseRecordReference(body.record);
  if (disclosures === undefined && isIsoUtc(collectedAt)) {
    return { id, status: 'approved', record, collectedAt };
  }
  if (!Array.isArray(disclosures) || !disclosures.every((d) => typeof d === 'string')) {
    bad('disclosure list');
  }
  return { id, status: 'approved', disclosures, record };
}

function checkSubmission(submission: CertificationSubmission): void {
  if (!RECORD_KIND.test(submission.kind)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'kind must be a record kind');
  }
}

/**
 * A client for the certifier service at `baseUrl` (e.g. `http://127.0.0.1:8080`).
 *
 * @example
 * const certifier = certifierClient('http://127.0.0.1:8080');
 * const { nonce, certifier: aud } = await certifier.requestNonce();
 * @throws KycError KYC_INVALID_ARGUMENT when `baseUrl` is not an http(s) URL.
 */
export function certifierClient(baseUrl: string, options: Readonly<HttpOptions> = {}): CertifierClient {
  const base = checkServiceUrl(baseUrl, 'certifier URL');
  const url = (path: string): string => new URL(path, base.href.endsWith('/') ? base.href : `${base.href}/`).href;
  const post = (path: string, body: unknown): Promise<unknown> =>
    requestJson(
      { method: 'POST', url: url(path), body: JSON.stringify(body), contentType: 'application/json' },
      options,
    );
  return {
    async requestNonce() {
      return parseNonceAnswer(await post('v1/certifications/nonce', {}));
    },
    async submit(submission) {
      checkSubmission(submission);
      return parseIdAndStatus(asObject(await post('v1/certifications', submission), 'submission answer'));
    },
    async status(id) {
      checkId(id);
      const body = await requestJson(
        { method: 'GET', url: url(`v1/certifications/${encodeURIComponent(id)}`) },
        options,
      );
      const state = parseIdAndStatus(asObject(body, 'certification status'));
      return state.id === id ? state : bad('certification id');
    },
    async submitEvidence(id, key, nonce, files) {
      checkId(id);
      const request = await createEvidenceRequest({
        personId: key.did,
        sign: key.sign,
        certifier: nonce.certifier,
        certificationId: id,
        files,
      });
      const jwe = await encryptToOrganisation(
        evidencePlaintext(request, files),
        nonce.encryptionJwk,
        { cty: EVIDENCE_CONTENT_TYPE, kid: id },
        'certifier',
      );
      return parseEvidenceAnswer(await post(`v1/certifications/${id}/evidence`, { jwe }), id);
    },
    async collect(id, key, certifier) {
      checkId(id);
      const request = await createCollectionRequest({
        personId: key.did,
        sign: key.sign,
        certifier,
        certificationId: id,
      });
      return parseState(await post('v1/certifications/collect', { request }), id);
    },
  };
}

function checkId(id: string): void {
  if (!REQUEST_ID.test(id)) {
    throw new KycError('KYC_INVALID_ARGUMENT', 'certification id is malformed');
  }
}
