import { randomBytes } from 'node:crypto';
import type { Claims, EvidenceFiles } from '../../protocol/src';
import type { EvidenceAnswer } from '../../protocol/src/http';
import {
  buildPresentation,
  certifierClient,
  createCertificationRequest,
  credentialFromApproval,
  decodeQrPng,
  submitPresentation,
  verifyRegistration,
  type Credential,
  type PersonKey,
  type TrustedCas,
  type VerifiedRegistration,
} from '../../wallet/src';
import { serviceClient, type ServiceClient } from './service-client';

/**
 * The product's flow as steps over the real services: an officer is enrolled, a person is certified once,
 * then proves their identity to a bank by scanning its QR code. `./kyc demo` prints them; the end-to-end
 * tests call them and assert on every result.
 */

export interface CertificationView {
  readonly id: string;
  readonly status: string;
  readonly personId: string;
  readonly claims?: Claims;
}

/** Enrolls a new officer (fabric-ca identity, key in the org's HSM) and returns a client acting as them. */
export async function enrollOfficer(baseUrl: string, adminToken: string, name: string): Promise<ServiceClient> {
  const created = await serviceClient(baseUrl, adminToken).post<{ token: string }>('/v1/officers', { name });
  return serviceClient(baseUrl, created.token);
}

/** A name for a fresh officer: CA registrations outlive service state, so names never repeat. */
export function freshOfficerName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * The person asks the certifier (with evidence: a document photo or chip files and a selfie, which level 2
 * and 3 need), the officer approves at `level`, the wallet collects and checks the disclosures (they must
 * open exactly the claims it submitted).
 */
export async function certifyPerson(options: {
  readonly certifierUrl: string;
  readonly officer: ServiceClient;
  readonly key: PersonKey;
  readonly claims: Claims;
  readonly level: number;
  readonly kind?: string;
  readonly evidence?: EvidenceFiles;
}): Promise<{ credential: Credential; certificationId: string; evidence?: EvidenceAnswer }> {
  const kind = options.kind ?? 'identity';
  const certifier = certifierClient(options.certifierUrl);
  const nonceAnswer = await certifier.requestNonce();
  const { nonce, certifier: mspId } = nonceAnswer;
  const { request, payload, claimsSalt } = await createCertificationRequest({
    key: options.key,
    certifier: mspId,
    nonce,
    kind,
    claims: options.claims,
  });
  const { id } = await certifier.submit({
    personId: options.key.did,
    kind,
    claims: options.claims,
    claimsSalt,
    request,
  });
  const evidence =
    options.evidence === undefined
      ? undefined
      : await certifier.submitEvidence(id, options.key, nonceAnswer, options.evidence);
  await options.officer.post(`/v1/certifications/${id}/approve`, { level: options.level });
  // Collected with a request signed by the person's key: the disclosures are handed out once.
  const state = await certifier.collect(id, options.key, mspId);
  const credential = credentialFromApproval(
    {
      id,
      certifierUrl: options.certifierUrl,
      certifier: mspId,
      kind,
      personId: options.key.did,
      claimsHash: payload.claims_hash,
      claimsSalt,
      requestedAt: new Date().toISOString(),
    },
    state,
  );
  return { credential, certificationId: id, ...(evidence === undefined ? {} : { evidence }) };
}

export interface RegistrationWithQr {
  readonly registrationId: string;
  readonly jws: string;
  /** The QR code as the bank shows it (PNG). */
  readonly png: Buffer;
}

/** A bank officer opens a registration asking for `claims`; returns its QR PNG. */
export async function openRegistration(
  officer: ServiceClient,
  request: { readonly claims: readonly string[]; readonly purpose: string; readonly minLevel?: number },
): Promise<RegistrationWithQr> {
  const created = await officer.post<{ registrationId: string; jws: string }>('/v1/registrations', request);
  const png = await officer.raw(`/v1/registrations/${created.registrationId}/qr.png`);
  return { registrationId: created.registrationId, jws: created.jws, png };
}

/** The wallet scans the QR PNG with a real decoder and checks the bank's signature against the trust bundle. */
export function scanRegistration(png: Buffer, trustedCas: TrustedCas): VerifiedRegistration {
  return verifyRegistration(decodeQrPng(png), { trustedCas });
}

/** The wallet presents the chosen claims, encrypted to the bank; returns the bank's answer. */
export async function present(options: {
  readonly key: PersonKey;
  readonly credential: Credential;
  readonly registration: VerifiedRegistration;
  readonly claimNames: readonly string[];
}): Promise<{ response: unknown; jwe: string }> {
  const built = await buildPresentation({
    key: options.key,
    registration: options.registration.payload,
    credential: options.credential,
    claimNames: options.claimNames,
  });
  const response = await submitPresentation(options.registration.payload.endpoint, built.jwe);
  return { response, jwe: built.jwe };
}
