import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KycError, type Claims, type EvidenceFiles } from '../../../protocol/src';
import {
  MrzReader,
  chipEvidence,
  claimsMatchEvidence,
  faceEvidence,
  faceModelVersions,
  jpeg2000ToPng,
  livenessScores,
  matchFaces,
  ocrEvidence,
  passiveAuthentication,
  sha256Hex,
  type Evidence,
  type TrustList,
} from '../../../intake/src';

/**
 * Runs the intake engine (docs/intake.md) on one person's evidence: the MRZ of the document photo, passive
 * authentication of the chip files against the trust list, and the selfie against the portrait (DG2 when the
 * chip was read, else the document photo). Everything happens in memory; nothing here writes a file or logs
 * a byte of the input. One submission runs at a time (OCR and face models use a core each). The service runs
 * it on a thread of its own, which also bounds how many may wait (evidence-thread.ts).
 */

export interface EvidenceChecksOptions {
  /** Directory of CSCA certificates and CRLs (docs/intake.md §2). */
  readonly cscaDir: string;
  readonly now?: () => Date;
}

const FACE_MISMATCH = 'the selfie does not match the portrait of the document';

export class EvidenceChecks {
  readonly #options: EvidenceChecksOptions;
  #reader: Promise<MrzReader> | undefined;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(options: EvidenceChecksOptions) {
    this.#options = options;
  }

  /**
   * The evidence these files give for these claims. Refused, with nothing kept, when a check fails: the
   * document unreadable or a check digit broken, the chip's signature untrusted or a data group altered, the
   * selfie another person, or the claims different from what the document says.
   *
   * @throws KycError KYC_INVALID_ARGUMENT (not an image, too large), KYC_UNREADABLE (no MRZ, no face),
   *   KYC_MISMATCH (check digit, altered data group, another face, other claims), KYC_BAD_SIGNATURE,
   *   KYC_UNTRUSTED, KYC_EXPIRED, KYC_REVOKED (chip).
   */
  check(files: EvidenceFiles, claims: Claims): Promise<Evidence> {
    const run = this.#tail.then(() => this.#check(files, claims));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Stops the OCR worker (the service is closing). */
  async close(): Promise<void> {
    const reader = this.#reader;
    this.#reader = undefined;
    if (reader !== undefined) await (await reader).close();
  }

  async #check(files: EvidenceFiles, claims: Claims): Promise<Evidence> {
    const { document, selfie } = files;
    if (selfie === undefined) throw new KycError('KYC_INVALID_ARGUMENT', 'a selfie is needed');
    const now = this.#options.now?.() ?? new Date();
    const inputHashes = Object.fromEntries(
      Object.entries(files).map(([role, bytes]) => [role, sha256Hex(bytes)] as const),
    );
    const chip = await this.#chip(files, now);
    let evidence: Evidence = { inputHashes, ...(chip === undefined ? {} : { chip: chip.evidence }) };
    if (document !== undefined) {
      const reader = await this.#mrzReader();
      evidence = { ...evidence, ocr: ocrEvidence(await reader.read(document, now), MrzReader.versions()) };
    }
    const face =
      chip === undefined ? this.#face(selfie, document, 'document-photo') : this.#face(selfie, chip.portrait, 'dg2');
    evidence = { ...evidence, face: await face };
    if (!claimsMatchEvidence(claims, evidence)) {
      throw new KycError(
        'KYC_MISMATCH',
        'the details submitted differ from the document (given_name, family_name and birthdate are required)',
      );
    }
    return evidence;
  }

  /** The selfie against the portrait: DG2's when the chip was read, else the document photo. */
  async #face(
    selfie: Uint8Array,
    portrait: Uint8Array | undefined,
    against: 'document-photo' | 'dg2',
  ): Promise<NonNullable<Evidence['face']>> {
    if (portrait === undefined) throw new KycError('KYC_INVALID_ARGUMENT', 'a document photo or chip data is needed');
    const match = await matchFaces(selfie, portrait);
    if (!match.match) throw new KycError('KYC_MISMATCH', FACE_MISMATCH);
    return faceEvidence(against, match, faceModelVersions(), await livenessScores(selfie));
  }

  /** Passive authentication of the chip files, when sent; the evidence and DG2's portrait. */
  async #chip(
    { sod, dg1, dg2 }: EvidenceFiles,
    now: Date,
  ): Promise<{ evidence: NonNullable<Evidence['chip']>; portrait: Uint8Array } | undefined> {
    if (sod === undefined || dg1 === undefined || dg2 === undefined) return undefined;
    const result = await passiveAuthentication({ sod, dg1, dg2 }, await this.#trustList(), now);
    // JPEG 2000 portraits (some states) are decoded in memory to PNG for the face matcher.
    const portrait =
      result.portrait.type === 'image/jp2' ? await jpeg2000ToPng(result.portrait.bytes) : result.portrait.bytes;
    return { evidence: chipEvidence(result, now), portrait };
  }

  #mrzReader(): Promise<MrzReader> {
    this.#reader ??= MrzReader.open().catch((err: unknown) => {
      this.#reader = undefined;
      throw err;
    });
    return this.#reader;
  }

  /** The CSCAs and CRLs in the trust-list directory now (a missing directory trusts no one). */
  async #trustList(): Promise<TrustList> {
    const names = await readdir(this.#options.cscaDir).catch(() => [] as string[]);
    const cscas: Uint8Array[] = [];
    const crls: Uint8Array[] = [];
    for (const name of names.sort()) {
      const kind = /\.(der|pem|crt|cer)$/i.test(name) ? cscas : /\.crl$/i.test(name) ? crls : undefined;
      if (kind !== undefined) kind.push(derOf(await readFile(join(this.#options.cscaDir, name))));
    }
    return { cscas, crls };
  }
}

/** DER from a DER or PEM file. */
function derOf(bytes: Buffer): Uint8Array {
  const text = bytes.subarray(0, 64).toString('latin1');
  if (!text.includes('-----BEGIN')) return bytes;
  const body = bytes
    .toString('latin1')
    .replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '')
    .replace(/\s+/g, '');
  return Buffer.from(body, 'base64');
}
