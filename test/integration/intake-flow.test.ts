import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { runCli } from '../../wallet/src/cli';
import { join } from 'node:path';
import { MAX_EVIDENCE_BYTES, type Claims, type EvidenceFiles } from '../../protocol/src';
import type { NonceAnswer } from '../../protocol/src/http';
import {
  certifyPerson,
  enrollOfficer,
  freshOfficerName,
  openRegistration,
  present,
  scanRegistration,
} from '../../demo/src/flow';
import type { ServiceClient } from '../../demo/src/service-client';
import { trustBundleFromNetwork } from '../../gateway/src/fabric/trust-bundle';
import { certifierClient, createCertificationRequest, personKeyFromPrivateKey, type PersonKey } from '../../wallet/src';
import { certDer, makeCsca, type Signer } from '../../intake/testing/chip';
import { portrait, renderDocument } from '../../intake/testing/documents';
import { randomIdentity, td3Lines } from '../../intake/testing/identities';
import { syntheticChipHolder, syntheticDocumentHolder, USABLE_FACES } from '../../intake/testing/person';
import { networkJsonPath } from '../support/network';
import { rejectsWith } from '../support/assertions';
import { ensureServices, serviceFiles, type RunningServices } from '../support/services';

/**
 * Document intake on the real services (docs/intake.md, issue #11): a person sends a photo of their passport
 * (or their chip's files) and a selfie, encrypted to the certifier's HSM key; the officer sees what was read
 * and approves at the level the evidence supports, never higher; every bad input is refused with its code
 * and leaves nothing behind; no image byte, MRZ line or name is ever written to the certifier's files or logs.
 */

const newKey = (): PersonKey => personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);

interface OfficerView {
  readonly id: string;
  readonly status: string;
  readonly supportedLevel?: number;
  readonly evidence?: {
    readonly ocr?: { readonly fields?: Record<string, string>; readonly checkDigitsValid: boolean };
    readonly chip?: { readonly passiveAuthentication: boolean; readonly fields?: Record<string, string> };
    readonly face?: {
      readonly against: string;
      readonly match: boolean;
      readonly distance: number;
      readonly liveness?: { readonly antispoof: number; readonly liveness: number; readonly note: string };
    };
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}

describe('integration: document intake at the certifier (OCR, chip, face match, evidence levels)', function () {
  this.timeout(600_000);
  let services: RunningServices;
  let officer: ServiceClient;
  let bankOfficer: ServiceClient;
  let trustedCsca: Signer;
  let cscaFile = '';
  /** Every image and chip file sent in this suite, and the MRZ lines and names in them. */
  const sent: Uint8Array[] = [];
  const texts: string[] = [];
  /** Stored in the clear (a column): the scan must find it, or it is not reading the store. */
  let control = '';

  before(async () => {
    services = ensureServices();
    officer = await enrollOfficer(services.certifierUrl, services.certifierAdminToken, freshOfficerName('intake'));
    bankOfficer = await enrollOfficer(services.bankUrl, services.bankAdminToken, freshOfficerName('intake'));
    // The certifier's trust list is a directory it reads at each chip check: this test's CSCA goes there.
    trustedCsca = await makeCsca(`CN=CSCA Intake Test ${randomBytes(4).toString('hex')},O=Test State,C=DE`);
    const dir = join(serviceFiles().dataDir, 'certifier', 'csca');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    cscaFile = join(dir, `test-${randomBytes(4).toString('hex')}.der`);
    writeFileSync(cscaFile, certDer(trustedCsca), { mode: 0o600 });
  });

  after(() => {
    if (cscaFile !== '') rmSync(cscaFile, { force: true });
    (services as RunningServices | undefined)?.release();
  });

  /** A pending certification of `claims` for a new key; returns what sending evidence needs. */
  async function pending(claims: Claims): Promise<{ id: string; key: PersonKey; nonce: NonceAnswer }> {
    const key = newKey();
    const certifier = certifierClient(services.certifierUrl);
    const nonce = await certifier.requestNonce();
    const made = await createCertificationRequest({
      key,
      certifier: nonce.certifier,
      nonce: nonce.nonce,
      kind: 'identity',
      claims,
    });
    const { id } = await certifier.submit({
      personId: key.did,
      kind: 'identity',
      claims,
      claimsSalt: made.claimsSalt,
      request: made.request,
    });
    return { id, key, nonce };
  }

  function send(p: { id: string; key: PersonKey; nonce: NonceAnswer }, files: EvidenceFiles) {
    sent.push(...Object.values(files));
    return certifierClient(services.certifierUrl).submitEvidence(p.id, p.key, p.nonce, files);
  }

  async function view(id: string): Promise<OfficerView> {
    const list = await officer.get<OfficerView[]>('/v1/certifications?status=pending');
    const found = list.find((c) => c.id === id);
    assert.ok(found !== undefined, 'the certification is pending');
    return found;
  }

  it('a passport photo and a selfie: the officer sees the fields read and the face match, and approves at level 2', async () => {
    const holder = await syntheticDocumentHolder(4242);
    texts.push(...td3Lines(holder.identity), holder.identity.familyName);
    const p = await pending(holder.claims);
    control = p.key.did;
    const answer = await send(p, { document: holder.document, selfie: holder.selfie });
    assert.equal(answer.supportedLevel, 2);
    assert.deepEqual(answer.document, { checkDigitsValid: true, repairs: 0 });
    assert.deepEqual(answer.face, { against: 'document-photo', match: true });

    const seen = await view(p.id);
    assert.equal(seen.supportedLevel, 2);
    const { ocr, face } = seen.evidence ?? {};
    assert.equal(ocr?.fields?.family_name, holder.claims.family_name);
    assert.equal(ocr?.fields?.birthdate, holder.claims.birthdate);
    assert.equal(face?.match, true);
    assert.ok(face.distance < 0.45);
    // The passive liveness scores are recorded, labelled, for the officer (they do not set the level).
    assert.ok(face.liveness !== undefined && face.liveness.antispoof >= 0 && face.liveness.antispoof <= 1);
    assert.match(face.liveness.note, /not proof of presence/);

    // Never above the evidence: level 3 needs the chip.
    await rejectsWith(officer.post(`/v1/certifications/${p.id}/approve`, { level: 3 }), 'KYC_FORBIDDEN');
    const approved = await officer.post<{ record: { level: number } }>(`/v1/certifications/${p.id}/approve`, {
      level: 2,
    });
    assert.equal(approved.record.level, 2);
  });

  it('without evidence an officer approves at level 1 only', async () => {
    const holder = await syntheticDocumentHolder(4243);
    const p = await pending(holder.claims);
    assert.equal((await view(p.id)).supportedLevel, 1);
    await rejectsWith(officer.post(`/v1/certifications/${p.id}/approve`, { level: 2 }), 'KYC_FORBIDDEN');
    assert.equal((await view(p.id)).status, 'pending', 'a refused approval changes nothing');
  });

  it('chip data (passive authentication) and a selfie give level 3, which a bank asking for 3 accepts', async () => {
    const holder = await syntheticChipHolder(4244, trustedCsca);
    texts.push(...td3Lines(holder.identity));
    const key = newKey();
    const { credential, evidence } = await certifyPerson({
      certifierUrl: services.certifierUrl,
      officer,
      key,
      claims: holder.claims,
      level: 3,
      evidence: { sod: holder.sod, dg1: holder.dg1, dg2: holder.dg2, selfie: holder.selfie },
    });
    sent.push(holder.dg2, holder.selfie);
    assert.equal(evidence?.supportedLevel, 3);
    assert.equal(evidence.chip?.passiveAuthentication, true);
    assert.deepEqual(evidence.face, { against: 'dg2', match: true });
    assert.equal(credential.record.level, 3);
    // The level is on the ledger: a bank that needs level 3 verifies this person.
    const opened = await openRegistration(bankOfficer, { claims: ['family_name'], purpose: 'Level 3', minLevel: 3 });
    const registration = scanRegistration(opened.png, trustBundleFromNetwork(networkJsonPath(), ['BankMSP']));
    await present({ key, credential, registration, claimNames: ['family_name'] });
    const result = await bankOfficer.get<{ status: string; result: { level: number } }>(
      `/v1/registrations/${opened.registrationId}`,
    );
    assert.equal(result.status, 'verified');
    assert.equal(result.result.level, 3);
  });

  it('a chip whose DG2 portrait is JPEG 2000 (as some states write it) supports level 3 too', async () => {
    const holder = await syntheticChipHolder(4245, trustedCsca, { jpeg2000Portrait: true });
    const p = await pending(holder.claims);
    const { sod, dg1, dg2, selfie } = holder;
    const answer = await send(p, { sod, dg1, dg2, selfie });
    assert.equal(answer.supportedLevel, 3);
    assert.deepEqual(answer.face, { against: 'dg2', match: true });
  });

  it('the CLI wallet sends a document photo and a selfie with its request (certify --document --selfie)', async () => {
    const holder = await syntheticDocumentHolder(4246);
    const dir = mkdtempSync(join(tmpdir(), 'kyc-cli-intake-'));
    try {
      const files = {
        claims: join(dir, 'claims.json'),
        document: join(dir, 'passport.png'),
        selfie: join(dir, 'selfie.jpg'),
      };
      writeFileSync(files.claims, JSON.stringify(holder.claims), { mode: 0o600 });
      writeFileSync(files.document, holder.document, { mode: 0o600 });
      writeFileSync(files.selfie, holder.selfie, { mode: 0o600 });
      sent.push(holder.document, holder.selfie);
      let out = '';
      const io = {
        stdout: (text: string) => (out += text),
        stderr: (text: string) => (out += text),
        env: { KYC_WALLET_DIR: join(dir, 'wallet') },
        confirm: () => Promise.resolve(false),
      };
      assert.equal(await runCli(['init'], io), 0, out);
      const args = ['certify', '--certifier-url', services.certifierUrl, '--claims', files.claims];
      const code = await runCli([...args, '--document', files.document, '--selfie', files.selfie], io);
      assert.equal(code, 0, out);
      assert.match(out, /document checked: the evidence supports level 2/);
      const id = out.trim().split('\n').at(-1) ?? '';
      assert.equal((await view(id)).supportedLevel, 2);
      // A selfie alone is a usage error, before anything is sent.
      assert.equal(await runCli([...args, '--selfie', files.selfie], io), 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('refused with a coded reason, and nothing stored', () => {
    async function refused(claims: Claims, files: EvidenceFiles, code: string): Promise<void> {
      const p = await pending(claims);
      await rejectsWith(send(p, files), code);
      const seen = await view(p.id);
      assert.equal(seen.evidence, undefined, 'no evidence kept');
      assert.equal(seen.supportedLevel, 1);
    }

    it('a file that is not an image', async () => {
      const holder = await syntheticDocumentHolder(4250);
      await refused(
        holder.claims,
        { document: Buffer.from('%PDF-1.7 not an image'), selfie: holder.selfie },
        'KYC_INVALID_ARGUMENT',
      );
    });

    it('files over the size limit', async () => {
      const holder = await syntheticDocumentHolder(4251);
      // One byte over MAX_EVIDENCE_BYTES for all files together.
      const padding = MAX_EVIDENCE_BYTES - holder.document.length - holder.selfie.length + 1;
      const huge = Buffer.concat([holder.document, randomBytes(padding)]);
      await refused(holder.claims, { document: huge, selfie: holder.selfie }, 'KYC_INVALID_ARGUMENT');
    });

    it('a photo with no MRZ', async () => {
      const holder = await syntheticDocumentHolder(4252);
      const face = await (await portrait(USABLE_FACES[0])).encode('jpeg', 90);
      await refused(holder.claims, { document: face, selfie: holder.selfie }, 'KYC_UNREADABLE');
    });

    it('a check digit that is wrong and cannot be repaired', async () => {
      const identity = randomIdentity(4253);
      const [line1, line2] = td3Lines(identity);
      // The birth date's check digit (digits only: no letter/digit swap can "repair" it).
      const digit = line2.charAt(19);
      const broken = `${line2.slice(0, 19)}${String((Number(digit) + 3) % 10)}${line2.slice(20)}`;
      const document = await renderDocument(identity, 'TD3', 'clean', 4253, USABLE_FACES[1], [line1, broken]);
      const holder = await syntheticDocumentHolder(4253);
      await refused(holder.claims, { document: document.image, selfie: holder.selfie }, 'KYC_MISMATCH');
    });

    it('a SOD signed under a CSCA the certifier does not trust', async () => {
      const holder = await syntheticChipHolder(4254, await makeCsca('CN=Untrusted CSCA,O=Elsewhere,C=FR'));
      const { sod, dg1, dg2, selfie } = holder;
      await refused(holder.claims, { sod, dg1, dg2, selfie }, 'KYC_UNTRUSTED');
    });

    it('a DG1 altered after signing', async () => {
      const holder = await syntheticChipHolder(4255, trustedCsca, { alterDg1AfterSigning: true });
      const { sod, dg1, dg2, selfie } = holder;
      await refused(holder.claims, { sod, dg1, dg2, selfie }, 'KYC_MISMATCH');
    });

    it('a selfie of another person', async () => {
      const other = USABLE_FACES[(4256 + 3) % USABLE_FACES.length];
      const holder = await syntheticDocumentHolder(4256, { selfieOf: other });
      texts.push(holder.identity.familyName);
      await refused(holder.claims, { document: holder.document, selfie: holder.selfie }, 'KYC_MISMATCH');
    });

    it('claims that differ from the document', async () => {
      const holder = await syntheticDocumentHolder(4257);
      await refused(
        { ...holder.claims, family_name: 'SOMEONEELSE' },
        { document: holder.document, selfie: holder.selfie },
        'KYC_MISMATCH',
      );
    });
  });

  // Nested, so it runs after every suite above has sent its files.
  describe('afterwards', () => {
    it('no image byte, MRZ line or name read is in the certifier’s files or logs', () => {
      const { dataDir, logs } = serviceFiles();
      const files = [...filesUnder(join(dataDir, 'certifier')), ...logs];
      const needles: { what: string; bytes: Buffer }[] = [];
      for (const [i, image] of sent.entries()) {
        // 48 bytes from the middle (offset a multiple of 3, so its base64 is a substring of the file's).
        const at = Math.floor(image.length / 6) * 3;
        const slice = Buffer.from(image.subarray(at, at + 48));
        needles.push({ what: `file ${i} raw`, bytes: slice });
        needles.push({ what: `file ${i} base64url`, bytes: Buffer.from(slice.toString('base64url')) });
        needles.push({ what: `file ${i} base64`, bytes: Buffer.from(slice.toString('base64')) });
      }
      for (const text of texts) needles.push({ what: `text ${text}`, bytes: Buffer.from(text) });
      assert.ok(sent.length >= 10 && texts.length >= 4, 'the scan looks for what the suite sent');
      const found = new Set<string>();
      for (const file of files) {
        const content = readFileSync(file);
        for (const { what, bytes } of needles) if (content.includes(bytes)) found.add(`${what} in ${file}`);
      }
      assert.deepEqual([...found], []);
      assert.ok(
        files.some((file) => readFileSync(file).includes(Buffer.from(control))),
        'control: the scan finds a value the store keeps in the clear',
      );
    });
  });
});
