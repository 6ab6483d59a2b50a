import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CommitError, StatusCode } from '@hyperledger/fabric-gateway';
import { KycError, parseDisclosure, type Claims } from '../../protocol/src';
import { toKycError } from '../../gateway/src/errors';
import { retryWhileConverging } from '../../gateway/src/fabric';
import { connectAs, type TestConnection } from '../support/fabric';
import { findInLedgerFiles } from '../support/ledger-files';
import { networkJsonPath } from '../support/network';
import {
  certificationRequest,
  commitmentFor,
  consentFor,
  newPerson,
  salt,
  uniqueClaims,
  type TestPerson,
} from '../../protocol/testing/simulated-person';

/**
 * The kyc contract on the real network: identities with keys in SoftHSM, real endorsement policies
 * (MAJORITY for creations, the certifier's key-level policy on records, the bank's own peers for its
 * implicit collection), and the ledger files on disk.
 */

const NETWORK_JSON = networkJsonPath();
const utf8 = new TextDecoder();

function parse(bytes: Uint8Array): unknown {
  return JSON.parse(utf8.decode(bytes));
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<KycError> {
  try {
    await promise;
  } catch (err) {
    const kyc = toKycError(err);
    assert.equal(kyc.code, code, `expected ${code}, got ${kyc.message}`);
    return kyc;
  }
  assert.fail(`expected ${code}, but it succeeded`);
}

interface Record {
  readonly version: number;
  readonly status: string;
  readonly digests: string[];
  readonly level: number;
}

describe('integration: the kyc contract on the real network', function () {
  this.timeout(300_000);
  let officer: TestConnection;
  let clerk: TestConnection;
  let verifier: TestConnection;
  /** Everything sent to the ledger in this suite that must never be found in its files. */
  const secrets: string[] = [];

  before(async () => {
    officer = await connectAs(NETWORK_JSON, 'CertifierMSP', 'officer1');
    clerk = await connectAs(NETWORK_JSON, 'CertifierMSP', 'clerk1');
    verifier = await connectAs(NETWORK_JSON, 'BankMSP', 'verifier1');
  });

  after(async () => {
    await officer.close();
    await clerk.close();
    await verifier.close();
  });

  /** Certifies a new person through officer1; returns what the wallet would keep. */
  async function certify(claims: Claims = uniqueClaims(), level = 2) {
    const person = newPerson();
    const claimsSalt = salt();
    const request = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt });
    const { commitment, disclosures } = commitmentFor(claims, { level });
    secrets.push(...Object.values(claims).filter((v) => v.length > 12), ...Object.values(disclosures));
    const record = await retryWhileConverging(() =>
      officer.contract('kyc').submitTransaction('Certify', person.id, request, commitment),
    );
    await untilBankSees(person.id, 1);
    return { person, claims, disclosures, record: parse(record) as Record };
  }

  /**
   * A submit returns once the officer's (certifier) peer committed; the bank's peers commit the same block a
   * moment later. Reads through the bank wait for that, so no test races block delivery.
   */
  async function untilBankSees(personId: string, version: number): Promise<void> {
    const giveUpAt = Date.now() + 15_000;
    for (;;) {
      const seen = await verifier
        .contract('kyc')
        .evaluateTransaction('GetAttestation', personId, 'CertifierMSP', 'identity')
        .then(
          (bytes) => (parse(bytes) as Record).version,
          () => 0,
        );
      if (seen >= version) return;
      assert.ok(Date.now() < giveUpAt, `the bank's peer did not commit version ${version} within 15 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function renew(person: TestPerson, claims: Claims) {
    const request = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt: salt() });
    const { commitment, disclosures } = commitmentFor(claims, { level: 3 });
    secrets.push(...Object.values(disclosures));
    return parse(
      await officer.contract('kyc').submitTransaction('Renew', person.id, 'identity', request, commitment),
    ) as Record;
  }

  async function verifyPresentation(
    person: TestPerson,
    disclosures: string[],
    registrationId = randomBytes(16).toString('base64url'),
    requestedClaims = disclosures.map((d) => parseDisclosure(d).name),
  ) {
    const nonce = randomBytes(16).toString('base64url');
    const consent = await consentFor(person, { aud: 'BankMSP', registrationId, nonce, disclosures });
    const presentation = {
      personId: person.id,
      certifier: 'CertifierMSP',
      kind: 'identity',
      nonce,
      consent,
      disclosures,
      trustedCertifiers: ['CertifierMSP'],
      minLevel: 2,
      requestedClaims,
    };
    const result = await verifier.contract('kyc').submit('VerifyPresentation', {
      arguments: [registrationId],
      transientData: { presentation: JSON.stringify(presentation) },
      endorsingOrganizations: ['BankMSP'],
    });
    return { registrationId, presentation, result: parse(result) as { claims: string[]; recordVersion: number } };
  }

  it('certifies, renews and revokes a record, and keeps every version in its history', async () => {
    const { person, claims, record } = await certify();
    assert.equal(record.version, 1);
    assert.equal(record.status, 'active');
    const read = parse(
      await verifier.contract('kyc').evaluateTransaction('GetAttestation', person.id, 'CertifierMSP', 'identity'),
    ) as Record;
    assert.deepEqual(read, record);
    for (const value of Object.values(claims)) assert.ok(!JSON.stringify(read).includes(value));

    const renewed = await renew(person, claims);
    assert.equal(renewed.version, 2);
    assert.equal(renewed.level, 3);
    assert.notDeepEqual(renewed.digests, record.digests);

    const revoked = parse(
      await officer.contract('kyc').submitTransaction('Revoke', person.id, 'identity', 'person-request'),
    ) as Record;
    assert.equal(revoked.version, 3);
    assert.equal(revoked.status, 'revoked');

    const history = parse(
      await officer.contract('kyc').evaluateTransaction('GetHistory', person.id, 'CertifierMSP', 'identity'),
    ) as { txId: string; record?: Record }[];
    assert.deepEqual(history.map((h) => h.record?.version).sort(), [1, 2, 3]);
    assert.equal(new Set(history.map((h) => h.txId)).size, 3);
  });

  it('refuses Certify from a bank identity and from a certifier identity without the role attribute', async () => {
    const person = newPerson();
    const claims = uniqueClaims();
    const request = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt: salt() });
    const { commitment } = commitmentFor(claims);
    await rejectsWith(
      verifier.contract('kyc').submitTransaction('Certify', person.id, request, commitment),
      'KYC_FORBIDDEN',
    );
    await rejectsWith(
      clerk.contract('kyc').submitTransaction('Certify', person.id, request, commitment),
      'KYC_FORBIDDEN',
    );
    await rejectsWith(
      verifier.contract('kyc').evaluateTransaction('GetAttestation', person.id, 'CertifierMSP', 'identity'),
      'KYC_NOT_FOUND',
    );
  });

  it('lets the certifier alone endorse an update of its record (key-level policy) and rejects one endorsed only by BankMSP', async () => {
    const { person, claims } = await certify();
    // Endorsed by BankMSP peers only: the chaincode runs (the caller is a certifier officer), but the record's
    // key-level policy names CertifierMSP, so the peers invalidate it at commit.
    const request = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt: salt() });
    const { commitment } = commitmentFor(claims);
    try {
      await officer.contract('kyc').submit('Renew', {
        arguments: [person.id, 'identity', request, commitment],
        endorsingOrganizations: ['BankMSP'],
      });
      assert.fail('a record update endorsed only by BankMSP was committed');
    } catch (err) {
      assert.ok(err instanceof CommitError, `expected a commit failure, got ${String(err)}`);
      assert.equal(err.code, StatusCode.ENDORSEMENT_POLICY_FAILURE);
    }
    // Endorsed by CertifierMSP alone: satisfies the record's policy although the chaincode-level policy
    // (MAJORITY of two organisations) alone would not be.
    const revoked = parse(
      await officer.contract('kyc').submit('Revoke', {
        arguments: [person.id, 'identity', 'data-changed'],
        endorsingOrganizations: ['CertifierMSP'],
      }),
    ) as Record;
    assert.equal(revoked.status, 'revoked');
    assert.equal(revoked.version, 2, 'the rejected update did not count');
  });

  it('verifies a presentation once, endorsed by the bank alone, and refuses the same registration again', async () => {
    const { person, disclosures } = await certify();
    const chosen = [disclosures.given_name ?? '', disclosures.family_name ?? ''];
    const first = await verifyPresentation(person, chosen);
    assert.deepEqual(first.result.claims, ['family_name', 'given_name']);
    await rejectsWith(verifyPresentation(person, chosen, first.registrationId), 'KYC_CONFLICT');
    const receipts = parse(
      await verifier
        .contract('kyc')
        .evaluate('GetReceipts', { arguments: [person.id], endorsingOrganizations: ['BankMSP'] }),
    ) as { registrationId: string }[];
    assert.deepEqual(
      receipts.map((r) => r.registrationId),
      [first.registrationId],
    );
    const usage = parse(
      await verifier.contract('kyc').evaluate('GetUsage', { arguments: ['', ''], endorsingOrganizations: ['BankMSP'] }),
    ) as { verifications: number };
    assert.ok(usage.verifications >= 1);
  });

  it('refuses, with a hand-built transaction, a presentation that discloses a claim the registration did not request', async () => {
    const { person, disclosures } = await certify();
    const overDisclosed = [disclosures.given_name ?? '', disclosures.birthdate ?? ''];
    const registrationId = randomBytes(16).toString('base64url');
    await rejectsWith(verifyPresentation(person, overDisclosed, registrationId, ['given_name']), 'KYC_MISMATCH');
    const receipts = parse(
      await verifier
        .contract('kyc')
        .evaluate('GetReceipts', { arguments: [person.id], endorsingOrganizations: ['BankMSP'] }),
    ) as unknown[];
    assert.deepEqual(receipts, [], 'nothing was stored for the refused presentation');
    // The registration was not consumed: the minimal presentation still verifies under the same id.
    const minimal = await verifyPresentation(person, [disclosures.given_name ?? ''], registrationId, ['given_name']);
    assert.deepEqual(minimal.result.claims, ['given_name']);
  });

  it("purges a person's receipts from the bank's private collection on erasure", async () => {
    const { person, disclosures } = await certify();
    const { registrationId } = await verifyPresentation(person, [disclosures.given_name ?? '']);
    const erased = parse(
      await verifier.contract('kyc').submit('EraseReceipts', {
        arguments: [person.id, JSON.stringify([registrationId])],
        endorsingOrganizations: ['BankMSP'],
      }),
    ) as { erased: number };
    assert.equal(erased.erased, 1);
    const receipts = parse(
      await verifier
        .contract('kyc')
        .evaluate('GetReceipts', { arguments: [person.id], endorsingOrganizations: ['BankMSP'] }),
    ) as unknown[];
    assert.deepEqual(receipts, []);
  });

  it('answers IsVerified, and the tickets contract refuses an unverified person and sells to a verified one', async () => {
    const { person } = await certify();
    const stranger = newPerson();
    const status = parse(
      await verifier.contract('kyc').evaluateTransaction('IsVerified', person.id, '2', '["CertifierMSP"]'),
    ) as { verified: boolean; level?: number };
    assert.equal(status.verified, true);
    assert.equal(status.level, 2);

    const eventId = `gig-${randomBytes(4).toString('hex')}`;
    // BuyTicket reads kyc through a chaincode call and writes only tickets keys, whose policy is the seller's
    // org: endorse there (discovery would otherwise plan for kyc's MAJORITY policy as well).
    const buyTicket = (event: string, personId: string) =>
      verifier
        .contract('tickets')
        .submit('BuyTicket', { arguments: [event, personId], endorsingOrganizations: ['BankMSP'] });
    await retryWhileConverging(() =>
      verifier
        .contract('tickets')
        .submitTransaction('CreateEvent', eventId, 'Ledger Live', '10', '2', '["CertifierMSP"]'),
    );
    await rejectsWith(buyTicket(eventId, stranger.id), 'KYC_FORBIDDEN');
    await buyTicket(eventId, person.id);
    const ticket = parse(await verifier.contract('tickets').evaluateTransaction('GetTicket', eventId, person.id)) as {
      personId: string;
    };
    assert.equal(ticket.personId, person.id);
  });

  it('leaves no claim value and no disclosure in any peer or orderer file (and does find the person ids there)', async () => {
    const { person } = await certify();
    const found = findInLedgerFiles([...secrets, person.id]);
    for (const secret of secrets) {
      assert.deepEqual(found.get(secret), [], `${secret} is in the ledger files`);
    }
    // The search itself works: what is meant to be on the ledger is found.
    assert.ok((found.get(person.id) ?? []).length > 0, 'the person id (a ledger key) should be in the ledger files');
    assert.ok(secrets.length > 20);
  });
});
