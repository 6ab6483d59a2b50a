import assert from 'node:assert/strict';
import {
  type Evidence,
  chipEvidence,
  faceEvidence,
  faceModelVersions,
  levelFromEvidence,
  matchFaces,
  passiveAuthentication,
  sha256Hex,
} from '../../../intake/src';
import { certDer, makeCsca, makeDg1, makeDg2, makeDocumentSigner, makeSod } from '../../../intake/testing/chip';
import { portrait } from '../../../intake/testing/documents';
import { expectedClaims, randomIdentity, td3Lines } from '../../../intake/testing/identities';
import { transformedPhoto } from '../../../intake/testing/transform';

describe('intake pipeline: chip, face against DG2, evidence, level 3', function () {
  this.timeout(60_000);

  it('gives level 3 for a valid chip whose DG1 equals the claims and whose DG2 face matches the selfie', async () => {
    const id = randomIdentity(77);
    const csca = await makeCsca();
    const ds = await makeDocumentSigner(csca);
    const jpeg = await (await portrait(6, 300)).encode('jpeg', 85);
    const dg1 = makeDg1(td3Lines(id));
    const dg2 = makeDg2(jpeg);
    const sod = await makeSod(
      ds,
      new Map([
        [1, dg1],
        [2, dg2],
      ]),
    );
    const selfie = await transformedPhoto(jpeg);

    const pa = await passiveAuthentication({ sod, dg1, dg2 }, { cscas: [certDer(csca)] });
    const face = await matchFaces(selfie, pa.portrait.bytes);
    const evidence: Evidence = {
      chip: chipEvidence(pa),
      face: faceEvidence('dg2', face, faceModelVersions()),
      inputHashes: { selfie: sha256Hex(selfie), sod: sha256Hex(sod), dg1: sha256Hex(dg1), dg2: sha256Hex(dg2) },
    };
    const claims = expectedClaims(id, 'TD3');
    assert.equal(levelFromEvidence(evidence, claims), 3);
    assert.equal(levelFromEvidence(evidence, { ...claims, family_name: 'SOMEONE ELSE' }), 1);
    const stored = JSON.stringify(evidence);
    assert.ok(!stored.includes(Buffer.from(jpeg).toString('base64').slice(0, 40)), 'no image in the evidence');
  });
});
