import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KycError, parseDisclosure } from '../../../../protocol/src';
import { CertificationService } from '../../../../gateway/src/services/certifier/certifications';
import {
  CLAIMS_SALT,
  certificationRequest,
  isKycError,
  newPerson,
  nowSeconds,
  recordFrom,
  stubLedger,
  tempDir,
  type StubLedger,
} from './fakes';

const CLAIMS = { given_name: 'Ada', family_name: 'Lovelace', birthdate: '1815-12-10' };

describe('certifier service: certifications', () => {
  let dir: ReturnType<typeof tempDir>;
  let ledger: StubLedger;
  let service: CertificationService;
  const person = newPerson();

  beforeEach(() => {
    dir = tempDir();
    ledger = stubLedger();
    ledger.certify.callsFake((personId: string, ...rest: unknown[]) =>
      Promise.resolve(recordFrom(personId, 'CertifierMSP', rest)),
    );
    ledger.renew.callsFake((personId: string, ...rest: unknown[]) =>
      Promise.resolve(recordFrom(personId, 'CertifierMSP', rest, 2)),
    );
    service = new CertificationService({
      mspId: 'CertifierMSP',
      dataDir: dir.path,
      validityDays: 365,
      decoyDigests: 2,
      nonceTtlSeconds: 600,
      ledgerFor: () => ledger,
    });
  });
  afterEach(() => {
    dir.remove();
  });

  async function submitValid() {
    const { nonce } = service.issueNonce();
    const request = await certificationRequest(person, { aud: 'CertifierMSP', nonce, claims: CLAIMS });
    return {
      request,
      ...service.submit({ personId: person.id, kind: 'identity', claims: CLAIMS, claimsSalt: CLAIMS_SALT, request }),
    };
  }

  it('queues a correctly signed request and approves it into a ledger commitment of salted digests', async () => {
    const { id, status } = await submitValid();
    assert.equal(status, 'pending');
    const approved = await service.approve(id, 'officer1', 2);
    assert.equal(approved.status, 'approved');
    assert.equal(ledger.certify.callCount, 1);
    const [personId, , commitment] = ledger.certify.firstCall.args as [
      string,
      string,
      { digests: string[]; level: number },
    ];
    assert.equal(personId, person.id);
    assert.equal(commitment.level, 2);
    const disclosures = approved.disclosures ?? [];
    assert.equal(disclosures.length, 3);
    const parsed = disclosures.map(parseDisclosure);
    assert.deepEqual(Object.fromEntries(parsed.map((d) => [d.name, d.value])), CLAIMS);
    for (const d of parsed) assert.ok(commitment.digests.includes(d.digest));
    assert.equal(commitment.digests.length, 3 + 2, 'two decoys hide the claim count');
    assert.deepEqual(commitment.digests, [...commitment.digests].sort());
    // No claim value travels to the ledger.
    const sent = JSON.stringify(ledger.certify.firstCall.args);
    for (const value of Object.values(CLAIMS)) assert.ok(!sent.includes(value));
    assert.deepEqual(service.get(id).record?.version, 1);
  });

  it('renews instead when this certifier already holds a record of that kind', async () => {
    ledger.getAttestation.resolves({ version: 1 });
    const { id } = await submitValid();
    const approved = await service.approve(id, 'officer1', 3);
    assert.equal(ledger.renew.callCount, 1);
    assert.equal(ledger.certify.callCount, 0);
    assert.equal(approved.record?.version, 2);
  });

  it('keeps the certification pending when the ledger refuses, and lets it be approved later', async () => {
    ledger.certify.onFirstCall().rejects(new KycError('KYC_UNAVAILABLE', 'ledger down'));
    const { id } = await submitValid();
    await assert.rejects(service.approve(id, 'officer1', 2), isKycError('KYC_UNAVAILABLE'));
    assert.equal(service.get(id).status, 'pending');
    assert.equal((await service.approve(id, 'officer1', 2)).status, 'approved');
    await assert.rejects(service.approve(id, 'officer1', 2), isKycError('KYC_CONFLICT'));
  });

  it('refuses bad submissions with their codes and stores nothing', async () => {
    const other = newPerson();
    const cases: [string, () => Promise<{ personId: string; request: string; claims: unknown }>][] = [
      [
        'KYC_INVALID_ARGUMENT',
        async () => ({
          personId: person.id,
          claims: CLAIMS,
          request: await certificationRequest(person, {
            aud: 'OtherMSP',
            nonce: service.issueNonce().nonce,
            claims: CLAIMS,
          }),
        }),
      ],
      [
        'KYC_MISMATCH',
        async () => ({
          personId: person.id,
          claims: { ...CLAIMS, given_name: 'Eve' },
          request: await certificationRequest(person, {
            aud: 'CertifierMSP',
            nonce: service.issueNonce().nonce,
            claims: CLAIMS,
          }),
        }),
      ],
      [
        'KYC_BAD_SIGNATURE',
        async () => ({
          personId: person.id,
          claims: CLAIMS,
          request: await certificationRequest(
            { ...other, id: person.id },
            { aud: 'CertifierMSP', nonce: service.issueNonce().nonce, claims: CLAIMS },
          ),
        }),
      ],
      [
        'KYC_INVALID_ARGUMENT',
        async () => ({
          personId: person.id,
          claims: CLAIMS,
          request: await certificationRequest(person, {
            aud: 'CertifierMSP',
            nonce: 'never-issued-nonce-123',
            claims: CLAIMS,
          }),
        }),
      ],
      [
        'KYC_EXPIRED',
        async () => ({
          personId: person.id,
          claims: CLAIMS,
          request: await certificationRequest(person, {
            aud: 'CertifierMSP',
            nonce: service.issueNonce().nonce,
            claims: CLAIMS,
            iat: nowSeconds() - 1000,
            exp: nowSeconds() - 10,
          }),
        }),
      ],
      [
        'KYC_INVALID_ARGUMENT',
        () => Promise.resolve({ personId: person.id, claims: { 'Bad Name': 'x' }, request: 'x.y.z' }),
      ],
      [
        'KYC_INVALID_ARGUMENT',
        () => Promise.resolve({ personId: 'did:key:zNotAKey', claims: CLAIMS, request: 'x.y.z' }),
      ],
    ];
    for (const [code, make] of cases) {
      const input = await make();
      assert.throws(
        () => service.submit({ kind: 'identity', claimsSalt: CLAIMS_SALT, ...input }),
        isKycError(code),
        code,
      );
    }
    assert.equal(service.list(undefined).length, 0);
  });

  it('refuses claims whose secret salt does not reproduce the signed claims_hash', async () => {
    const { nonce } = service.issueNonce();
    const request = await certificationRequest(person, { aud: 'CertifierMSP', nonce, claims: CLAIMS });
    assert.throws(
      () =>
        service.submit({
          personId: person.id,
          kind: 'identity',
          claims: CLAIMS,
          claimsSalt: 'b3RoZXItc2FsdC12YWx1ZQ',
          request,
        }),
      isKycError('KYC_MISMATCH'),
    );
  });

  it('accepts each nonce once', async () => {
    const { nonce } = service.issueNonce();
    const request = await certificationRequest(person, { aud: 'CertifierMSP', nonce, claims: CLAIMS });
    service.submit({ personId: person.id, kind: 'identity', claims: CLAIMS, claimsSalt: CLAIMS_SALT, request });
    const again = await certificationRequest(person, { aud: 'CertifierMSP', nonce, claims: CLAIMS });
    assert.throws(
      () =>
        service.submit({
          personId: person.id,
          kind: 'identity',
          claims: CLAIMS,
          claimsSalt: CLAIMS_SALT,
          request: again,
        }),
      isKycError('KYC_INVALID_ARGUMENT'),
    );
  });

  it('rejects, and keeps its state across restarts in an owner-only file', async () => {
    const { id } = await submitValid();
    service.reject(id, 'officer1', 'documents did not match');
    const reloaded = new CertificationService({
      mspId: 'CertifierMSP',
      dataDir: dir.path,
      validityDays: 1,
      decoyDigests: 0,
      nonceTtlSeconds: 60,
      ledgerFor: () => ledger,
    });
    assert.equal(reloaded.get(id).status, 'rejected');
    assert.equal(reloaded.get(id).reason, 'documents did not match');
    const file = join(dir.path, 'certifications.json');
    assert.ok(readFileSync(file, 'utf8').includes(id));
  });

  it('refuses an unknown certification and a bad level', async () => {
    assert.throws(() => service.get('AAAAAAAAAAAAAAAAAAAAAA'), isKycError('KYC_NOT_FOUND'));
    const { id } = await submitValid();
    await assert.rejects(service.approve(id, 'officer1', 7), isKycError('KYC_INVALID_ARGUMENT'));
    assert.equal(ledger.certify.callCount, 0);
  });
});
