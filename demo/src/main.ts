import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { KycError } from '../../protocol/src';
import { buildPresentation, createPersonKey, submitPresentation } from '../../wallet/src';
import type { Credential, PersonKey, VerifiedRegistration } from '../../wallet/src';
import { bankConfig, certifierConfig } from '../../services/src/config';
import { syntheticDocumentHolder } from '../../intake/testing/person';
import { certifyPerson, enrollOfficer, freshOfficerName, openRegistration, present, scanRegistration } from './flow';
import { trustBundleFromNetwork } from '../../gateway/src/fabric/trust-bundle';

/**
 * `./kyc demo`: the whole flow against the running system, each step printed. Needs `./kyc start` first.
 * Admin tokens come from the services' data directories (or KYC_CERTIFIER_ADMIN_TOKEN / KYC_BANK_ADMIN_TOKEN).
 */

let stepNumber = 0;
function step(title: string, detail = ''): void {
  stepNumber++;
  process.stdout.write(
    `\n${String(stepNumber).padStart(2)}. ${title}\n${detail === '' ? '' : `    ${detail.replace(/\n/g, '\n    ')}\n`}`,
  );
}

function adminToken(envName: string, dataDir: string): string {
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  try {
    return readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  } catch {
    throw new Error(`no admin token in ${dataDir}/admin-token: start the system first (./kyc start)`);
  }
}

async function main(): Promise<void> {
  const certifierCfg = certifierConfig();
  const bankCfg = bankConfig();
  const workDir = mkdtempSync(join(tmpdir(), 'kyc-demo-'));

  step(
    'Certifier admin enrolls a certification officer',
    "fabric-ca registration with kyc.role=certifier; the key is generated inside the certifier org's HSM token",
  );
  const certOfficerName = freshOfficerName('officer');
  const certOfficer = await enrollOfficer(
    certifierCfg.publicUrl,
    adminToken('KYC_CERTIFIER_ADMIN_TOKEN', certifierCfg.dataDir),
    certOfficerName,
  );
  process.stdout.write(`    officer ${certOfficerName} at ${certifierCfg.publicUrl}\n`);

  step('A person creates a key on their device', `wallet directory ${workDir}`);
  const key = await createPersonKey(workDir);
  process.stdout.write(`    person id ${key.did}\n`);

  // A synthetic passport (generated now, never written to disk) and a selfie of the same face.
  const holder = await syntheticDocumentHolder(1815, { names: { familyName: 'LOVELACE', givenNames: 'ADA' } });
  step(
    'The person asks to be certified with a photo of their passport and a selfie; the officer approves at level 2',
    `claims sent to the certifier only: ${JSON.stringify(holder.claims)}; the photos go encrypted to the certifier's HSM key, ` +
      'are read (MRZ OCR, face match) in memory and dropped; the wallet collects the outcome once, with a request signed by its key',
  );
  const { credential, certificationId, evidence } = await certifyPerson({
    certifierUrl: certifierCfg.publicUrl,
    officer: certOfficer,
    key,
    claims: holder.claims,
    level: 2,
    evidence: { document: holder.document, selfie: holder.selfie },
  });
  process.stdout.write(
    `    evidence: MRZ check digits ${evidence?.document?.checkDigitsValid === true ? 'valid' : 'not valid'}, face ${evidence?.face.match === true ? 'matches' : 'does not match'}; supports level ${evidence?.supportedLevel ?? 1}\n`,
  );
  process.stdout.write(
    `    certification ${certificationId}: ledger record ${credential.record.certifier}/${credential.record.kind} v${credential.record.version}, level ${credential.record.level}, valid until ${credential.record.validUntil}\n`,
  );
  process.stdout.write(
    `    the wallet holds ${credential.disclosures.length} salted disclosures; the ledger holds only their digests\n`,
  );

  step('Bank admin enrolls a bank officer', "kyc.role=bank-verifier; key in the bank org's HSM token");
  const bankOfficerName = freshOfficerName('verifier');
  const bankOfficer = await enrollOfficer(
    bankCfg.publicUrl,
    adminToken('KYC_BANK_ADMIN_TOKEN', bankCfg.dataDir),
    bankOfficerName,
  );
  process.stdout.write(`    officer ${bankOfficerName} at ${bankCfg.publicUrl}\n`);

  step(
    'The bank opens a registration and shows a QR code',
    "signed with the officer's HSM key (certificate in x5c), carrying the bank's HSM encryption key",
  );
  const opened = await openRegistration(bankOfficer, {
    claims: ['given_name', 'family_name', 'birthdate'],
    purpose: 'Open a current account',
  });
  const qrPath = join(workDir, 'registration-qr.png');
  writeFileSync(qrPath, opened.png);
  process.stdout.write(
    `    registration ${opened.registrationId}; QR code (${opened.png.length} bytes PNG) saved to ${qrPath}\n`,
  );

  step(
    'The wallet scans the QR code and checks who is asking',
    "decoded from the PNG; signature checked against BankMSP's CA from the trust bundle",
  );
  const trust = trustBundleFromNetwork(resolve(bankCfg.networkConfigPath), [bankCfg.mspId]);
  const registration = scanRegistration(opened.png, trust);
  process.stdout.write(
    `    ${registration.payload.iss} (${registration.signerSubject.replace(/\n/g, ', ')}) asks for ${registration.payload.claims.join(', ')} for "${registration.payload.purpose}"\n`,
  );

  step(
    'The person consents to exactly those claims (nationality stays in the wallet)',
    "consent signed by the person's key; disclosures + consent encrypted to the bank (ECDH-ES, A256GCM)",
  );
  const { response, jwe } = await present({ key, credential, registration, claimNames: registration.payload.claims });
  process.stdout.write(`    bank answered: ${JSON.stringify(response)}\n`);

  step(
    'The bank officer reads the verified result',
    'decrypted in the HSM, checked on the ledger (VerifyPresentation), registration consumed',
  );
  const result = await bankOfficer.get<{ status: string; result?: unknown }>(
    `/v1/registrations/${opened.registrationId}`,
  );
  process.stdout.write(`    ${JSON.stringify(result, null, 2).replace(/\n/g, '\n    ')}\n`);

  await showSingleUse({ key, credential, registration, jwe, response });

  step('Done', `wallet files and the QR code are in ${workDir}`);
}

/** A resent presentation gets the first answer again; a new consent to the same registration is refused. */
async function showSingleUse(options: {
  readonly key: PersonKey;
  readonly credential: Credential;
  readonly registration: VerifiedRegistration;
  readonly jwe: string;
  readonly response: unknown;
}): Promise<void> {
  const { key, credential, registration } = options;
  step('The wallet sends the same presentation again (it lost the answer)', 'the bank answers as the first time');
  const again = await submitPresentation(registration.payload.endpoint, options.jwe);
  if (!isDeepStrictEqual(again, options.response)) throw new Error('a resent presentation got another answer');
  process.stdout.write('    the same answer; no second verification\n');

  step('The person consents again to the used registration', 'a registration can be used once');
  try {
    const fresh = await buildPresentation({
      key,
      registration: registration.payload,
      credential,
      claimNames: registration.payload.claims,
    });
    await submitPresentation(registration.payload.endpoint, fresh.jwe);
    throw new Error('a second presentation was accepted: this must not happen');
  } catch (err) {
    if (!(err instanceof KycError)) throw err;
    process.stdout.write(`    refused: ${err.message}\n`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`\ndemo failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
