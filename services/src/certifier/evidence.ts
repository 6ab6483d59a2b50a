import {
  KycError,
  parseEvidencePlaintext,
  verifyEvidenceRequest,
  type AssuranceLevel,
  type EvidenceFiles,
  type RegistrationPayload,
} from '../../../protocol/src';
import type { EvidenceAnswer } from '../../../protocol/src/http';
import type { Evidence } from '../../../intake/src/evidence';
import type { CertificationService } from './certifications';

/**
 * A person's evidence for their pending certification (docs/intake.md, docs/protocol.md §4.4): the JWE is
 * decrypted with the certifier's HSM key, the evidence request inside must be signed by the key the
 * certification is for and name exactly the files sent, and is accepted once; the intake engine then checks
 * the files in memory, and only its evidence is kept with the certification. On any refusal nothing is kept.
 */

export interface EvidenceServiceOptions {
  readonly certifications: CertificationService;
  /** The certifier's encryption key (public half; the private half stays in the HSM). */
  readonly encryptionJwk: RegistrationPayload['enc_jwk'];
  /** Decrypts an evidence JWE whose `kid` must be `certificationId` (ECDH in the HSM). */
  readonly decrypt: (jwe: string, certificationId: string) => Promise<Record<string, unknown>>;
  /** The intake engine (services/src/certifier/evidence-checks.ts; a stub in unit tests). */
  readonly check: (files: EvidenceFiles, claims: Readonly<Record<string, string>>) => Promise<Evidence>;
  /** Releases the intake engine (OCR worker) when the service closes. */
  readonly close?: () => Promise<void>;
  readonly now?: () => Date;
}

export class EvidenceService {
  readonly #options: EvidenceServiceOptions;

  constructor(options: EvidenceServiceOptions) {
    this.#options = options;
  }

  get encryptionJwk(): RegistrationPayload['enc_jwk'] {
    return this.#options.encryptionJwk;
  }

  async close(): Promise<void> {
    await this.#options.close?.();
  }

  /**
   * @throws KycError KYC_DECRYPTION_FAILED (not for this certifier or certification), KYC_INVALID_ARGUMENT,
   *   KYC_BAD_SIGNATURE, KYC_MISMATCH, KYC_EXPIRED (the request), KYC_NOT_FOUND (not this person's pending
   *   certification), KYC_CONFLICT (request reused, or decided), then the intake engine's refusals.
   */
  async submit(certificationId: string, jwe: string): Promise<EvidenceAnswer> {
    const { certifications } = this.#options;
    const now = this.#options.now?.() ?? new Date();
    const { request, files } = parseEvidencePlaintext(await this.#options.decrypt(jwe, certificationId));
    const { payload, id } = verifyEvidenceRequest(request, files, { audience: certifications.mspId, now });
    if (payload.certification_id !== certificationId) {
      throw new KycError('KYC_MISMATCH', 'the evidence request names another certification');
    }
    const certification = await certifications.ownPending(certificationId, payload.sub);
    // Used up before the (slow) checks, so a replay is refused at once; the wallet signs a new one per try.
    await certifications.useOnce(id, payload.exp);
    if (certification.claims === undefined)
      throw new KycError('KYC_INTERNAL', 'a pending certification without claims');
    const evidence = await this.#options.check(files, certification.claims);
    if (evidence.face === undefined) throw new KycError('KYC_INTERNAL', 'evidence without a face match');
    const level = await certifications.attachEvidence(certificationId, payload.sub, evidence);
    return answerOf(certificationId, level, { ...evidence, face: evidence.face });
  }
}

function answerOf(
  id: string,
  supportedLevel: AssuranceLevel,
  evidence: Evidence & Required<Pick<Evidence, 'face'>>,
): EvidenceAnswer {
  const { ocr, chip, face } = evidence;
  return {
    id,
    status: 'pending',
    supportedLevel,
    ...(ocr === undefined ? {} : { document: { checkDigitsValid: ocr.checkDigitsValid, repairs: ocr.repairs.length } }),
    ...(chip === undefined
      ? {}
      : { chip: { passiveAuthentication: chip.passiveAuthentication, signer: chip.signer.subject } }),
    face: { against: face.against, match: face.match },
  };
}
