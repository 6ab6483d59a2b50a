import { randomInt } from 'node:crypto';
import { MrzReader } from '../src/mrz/reader';
import type { EvidenceFiles } from '../../protocol/src';
import { certDer, jp2Portrait, makeDg1, makeDg2, makeDocumentSigner, makeSod, type Signer } from './chip';
import { portrait, renderDocument, type Variant } from './documents';
import { expectedClaims, randomIdentity, td3Lines, type Identity } from './identities';
import { transformedPhoto } from './transform';

/**
 * A synthetic person with their evidence, for tests, the demo and benchmarks only: a generated identity, a
 * document photo or chip files for it, and a "selfie" (the document's portrait rescaled, rotated, relit and
 * recompressed: the same face, a different photo). The faces are face-api's MIT-licensed samples
 * (docs/intake.md §7); nothing is written to disk.
 */

/** Sample faces that face-api finds both in a document's photo and in a selfie made from it (measured). */
export const USABLE_FACES = [0, 1, 2, 3, 6, 7, 8, 9, 11, 14, 15, 16, 17, 18, 19, 20, 21] as const;

export interface SyntheticPerson {
  readonly identity: Identity;
  /** The claims a person would type: as the document says them. */
  readonly claims: Record<string, string>;
  readonly face: number;
  readonly selfie: Buffer;
}

/** The claims of `identity` a person submits for an identity certification. */
function personClaims(identity: Identity, format: 'TD1' | 'TD3'): Record<string, string> {
  const all = expectedClaims(identity, format);
  const { given_name, family_name, birthdate, nationality } = all;
  return {
    given_name: given_name ?? '',
    family_name: family_name ?? '',
    birthdate: birthdate ?? '',
    nationality: nationality ?? '',
  };
}

/** A person with a photo of their passport (TD3) or identity card (TD1). */
export async function syntheticDocumentHolder(
  seed: number,
  options: {
    readonly format?: 'TD1' | 'TD3';
    readonly variant?: Variant;
    readonly selfieOf?: number;
    readonly names?: Pick<Identity, 'familyName' | 'givenNames'>;
  } = {},
): Promise<SyntheticPerson & { readonly document: Buffer }> {
  const format = options.format ?? 'TD3';
  const identity = { ...randomIdentity(seed), ...options.names };
  const face = USABLE_FACES[seed % USABLE_FACES.length] ?? 2;
  const document = await renderDocument(identity, format, options.variant ?? 'clean', seed, face);
  const selfieFace = options.selfieOf ?? face;
  const selfie = await transformedPhoto(await (await portrait(selfieFace)).encode('jpeg', 90));
  return { identity, claims: personClaims(identity, format), face, selfie, document: document.image };
}

/** A person with their passport chip read: EF.SOD signed by a Document Signer under `csca`, DG1 and DG2. */
export async function syntheticChipHolder(
  seed: number,
  csca: Signer,
  options: { readonly alterDg1AfterSigning?: boolean; readonly jpeg2000Portrait?: boolean } = {},
): Promise<SyntheticPerson & { readonly sod: Uint8Array; readonly dg1: Uint8Array; readonly dg2: Uint8Array }> {
  const identity = randomIdentity(seed);
  // A DG1 changed after signing: the state wrote one name, the file now says another (and so do the claims).
  const forged = { ...identity, familyName: 'FORGED' };
  const face = USABLE_FACES[seed % USABLE_FACES.length] ?? 2;
  const jpeg = await (await portrait(face, 300)).encode('jpeg', 85);
  const dg1 = makeDg1(td3Lines(identity));
  const dg2 = makeDg2(options.jpeg2000Portrait === true ? await jp2Portrait(jpeg) : jpeg);
  const signer = await makeDocumentSigner(csca, String(1000 + (seed % 9000)));
  const sod = await makeSod(
    signer,
    new Map([
      [1, dg1],
      [2, dg2],
    ]),
  );
  const altered = options.alterDg1AfterSigning === true;
  return {
    identity,
    claims: personClaims(altered ? forged : identity, 'TD3'),
    face,
    selfie: await transformedPhoto(jpeg),
    sod,
    dg1: altered ? makeDg1(td3Lines(forged)) : dg1,
    dg2,
  };
}

const letters = (n: number): string =>
  Array.from({ length: n }, () => String.fromCharCode(65 + randomInt(26))).join('');

/**
 * A document holder whose names are unique (random letters), so a test can look for them in logs and
 * stores, with the claims to submit and the evidence files (document photo and selfie). Names have no check
 * digit, so a rare misread of random letters would refuse the evidence: the document is read here first, with
 * the same engine the certifier runs (deterministic on the same bytes), and drawn again until it reads right.
 * Tests of the OCR itself use {@link syntheticDocumentHolder} instead.
 */
export async function uniqueDocumentHolder(): Promise<{ claims: Record<string, string>; evidence: EvidenceFiles }> {
  const reader = await MrzReader.open();
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      const holder = await syntheticDocumentHolder(randomInt(1_000_000), {
        names: { familyName: `LOVELACE${letters(8)}`, givenNames: `ADA${letters(9)}` },
      });
      const read = await reader.read(holder.document).catch(() => undefined);
      const same =
        read !== undefined &&
        Object.entries(holder.claims).every(([k, v]) => read.claims[k as keyof typeof read.claims] === v);
      if (same) return { claims: holder.claims, evidence: { document: holder.document, selfie: holder.selfie } };
    }
  } finally {
    await reader.close();
  }
  throw new Error('five generated documents in a row did not read right');
}

export { certDer };
