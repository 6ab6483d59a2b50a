import { generateKeyPairSync } from 'node:crypto';
import { certifyPerson } from '../demo/src/flow';
import { trustBundleFromNetwork } from '../gateway/src/fabric/trust-bundle';
import { loadNetworkConfig, networkConfigPath, serviceOf } from '../gateway/src/fabric';
import {
  buildPresentation,
  certifierClient,
  createCertificationRequest,
  personKeyFromPrivateKey,
  submitPresentation,
  verifyRegistration,
  type Credential,
  type PersonKey,
} from '../wallet/src';
import { runBounded } from './load';
import type { BenchServices } from './service-processes';

/**
 * The services' two ledger paths, driven over HTTP as the wallet and the officers' pages drive them:
 * - the bank's whole verification: an officer opens a registration (the QR's signed JWS), the wallet checks
 *   the bank's signature and encrypts the chosen claims to the bank's HSM key, the bank decrypts in the HSM,
 *   checks consent, endorses and commits VerifyPresentation and stores the result;
 * - the certifier's approval of a pending request: salts, digests and Certify, both organisations endorsing.
 * The wallet's work (signatures, encryption) runs in the load generator, whose CPU is reported apart.
 */

const CLAIMS = { given_name: 'Bench', family_name: 'Mark', birthdate: '1990-01-01' };
const newPersonKey = (): PersonKey =>
  personKeyFromPrivateKey(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);

interface Person {
  readonly key: PersonKey;
  readonly credential: Credential;
}

export interface HttpPaths {
  /** One verification at the bank, end to end, by a person certified in the set-up. */
  bankVerification(i: number): Promise<void>;
  /** Prepares `count` pending requests (the person's side, not timed); returns how many the pool holds. */
  preparePendingCertifications(count: number, inFlight: number): Promise<number>;
  /** The officer approves pending request `i` of the pool (level 1: the load's people bring no documents). */
  certifierApproval(i: number): Promise<void>;
}

export async function httpPaths(services: BenchServices, people: number): Promise<HttpPaths> {
  const config = loadNetworkConfig(networkConfigPath());
  const trustedCas = trustBundleFromNetwork(networkConfigPath(), [serviceOf(config, 'bank').mspId]);
  const certified: Person[] = [];
  await runBounded('certifying the people who present', people, 8, async () => {
    const key = newPersonKey();
    const { credential } = await certifyPerson({
      certifierUrl: services.certifierUrl,
      officer: services.certOfficer,
      key,
      claims: CLAIMS,
      level: 1,
    });
    certified.push({ key, credential });
  });
  if (certified.length === 0) throw new Error('no person could be certified through the services');
  let pending: string[] = [];
  const certifier = certifierClient(services.certifierUrl);

  return {
    async bankVerification(i) {
      const person = certified[i % certified.length] as Person;
      const created = await services.bankOfficer.post<{ registrationId: string; jws: string }>('/v1/registrations', {
        claims: ['given_name'],
        purpose: 'bench',
      });
      const registration = verifyRegistration(created.jws, { trustedCas });
      const { jwe } = await buildPresentation({
        key: person.key,
        registration: registration.payload,
        credential: person.credential,
        claimNames: ['given_name'],
      });
      await submitPresentation(registration.payload.endpoint, jwe);
    },
    async preparePendingCertifications(count, inFlight) {
      const made: string[] = [];
      await runBounded('preparing pending certifications', count, inFlight, async () => {
        const key = newPersonKey();
        const { nonce, certifier: mspId } = await certifier.requestNonce();
        const request = await createCertificationRequest({
          key,
          certifier: mspId,
          nonce,
          kind: 'identity',
          claims: CLAIMS,
        });
        const { id } = await certifier.submit({
          personId: key.did,
          kind: 'identity',
          claims: CLAIMS,
          claimsSalt: request.claimsSalt,
          request: request.request,
        });
        made.push(id);
      });
      pending = made;
      return made.length;
    },
    async certifierApproval(i) {
      const id = pending[i];
      if (id === undefined) throw new Error('the pool of pending certifications is used up');
      await services.certOfficer.post(`/v1/certifications/${id}/approve`, { level: 1 });
    },
  };
}
