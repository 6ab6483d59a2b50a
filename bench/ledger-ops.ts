import { randomBytes } from 'node:crypto';
import type { KycLedger } from '../gateway/src/ledger/kyc-ledger';
import {
  certificationRequest,
  commitmentFor,
  consentFor,
  newPerson,
  salt,
  uniqueClaims,
} from '../protocol/testing/simulated-person';

/** The ledger operations the benchmarks repeat: a fresh person certified, a certified person verified. */

/** A person certified in a Certify row: what the verification rows present and read. */
export interface Certified {
  readonly person: ReturnType<typeof newPerson>;
  readonly disclosure: string;
}

export async function certifyOne(ledger: KycLedger, certified: Certified[]): Promise<void> {
  const person = newPerson();
  const claims = uniqueClaims();
  const request = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt: salt() });
  const { commitment, disclosures } = commitmentFor(claims);
  await ledger.certify(person.id, request, JSON.parse(commitment));
  certified.push({ person, disclosure: disclosures.given_name ?? '' });
}

export async function verifyOne(ledger: KycLedger, entry: Certified): Promise<void> {
  const registrationId = randomBytes(16).toString('base64url');
  const nonce = randomBytes(16).toString('base64url');
  const disclosures = [entry.disclosure];
  const consent = await consentFor(entry.person, { aud: 'BankMSP', registrationId, nonce, disclosures });
  await ledger.verifyPresentation(registrationId, {
    personId: entry.person.id,
    certifier: 'CertifierMSP',
    kind: 'identity',
    nonce,
    consent,
    disclosures,
    trustedCertifiers: ['CertifierMSP'],
    minLevel: 2,
    requestedClaims: ['given_name'],
  });
}
