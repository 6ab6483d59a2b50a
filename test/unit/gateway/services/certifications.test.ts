import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KycError,
  TYP,
  createCollectionRequest,
  parseDisclosure,
  signJws,
  type ErrorCode,
} from '../../../../protocol/src';
import type { CertifierLimits } from '../../../../gateway/src/config';
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
  type Person,
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

describe('certifier service: collection by the person, and the limits on pending state', () => {
  let dir: ReturnType<typeof tempDir>;
  let ledger: StubLedger;
  let clock: number;
  const person = newPerson();
  const file = (): string => readFileSync(join(dir.path, 'certifications.json'), 'utf8');

  function service(limits: Partial<CertifierLimits> = {}): CertificationService {
    return new CertificationService({
      mspId: 'CertifierMSP',
      dataDir: dir.path,
      validityDays: 365,
      decoyDigests: 0,
      nonceTtlSeconds: 600,
      limits,
      ledgerFor: () => ledger,
      now: () => new Date(clock),
    });
  }

  async function submit(s: CertificationService, who: Person, nonce = s.issueNonce().nonce) {
    const request = await certificationRequest(who, {
      aud: 'CertifierMSP',
      nonce,
      claims: CLAIMS,
      iat: Math.floor(clock / 1000),
      exp: Math.floor(clock / 1000) + 7 * 24 * 3600,
    });
    return s.submit({ personId: who.id, kind: 'identity', claims: CLAIMS, claimsSalt: CLAIMS_SALT, request });
  }

  const collectionBy = (who: Person, certificationId: string, fields: { certifier?: string; at?: number } = {}) =>
    createCollectionRequest({
      personId: who.id,
      sign: who.sign,
      certifier: fields.certifier ?? 'CertifierMSP',
      certificationId,
      now: new Date(fields.at ?? clock),
    });

  beforeEach(() => {
    dir = tempDir();
    clock = Date.now();
    ledger = stubLedger();
    ledger.certify.callsFake((personId: string, ...rest: unknown[]) =>
      Promise.resolve(recordFrom(personId, 'CertifierMSP', rest)),
    );
  });
  afterEach(() => {
    dir.remove();
  });

  it('hands the disclosures to the key the certification is for, once; later requests see the status only', async () => {
    const s = service();
    const { id } = await submit(s, person);
    const pending = s.collect(await collectionBy(person, id));
    assert.equal(pending.status, 'pending');
    assert.equal(pending.disclosures, undefined);
    await s.approve(id, 'officer1', 2);
    const first = s.collect(await collectionBy(person, id));
    assert.equal(first.status, 'approved');
    assert.deepEqual(
      Object.fromEntries((first.disclosures ?? []).map(parseDisclosure).map((d) => [d.name, d.value])),
      CLAIMS,
    );
    assert.equal(first.collectedAt, undefined);
    const second = s.collect(await collectionBy(person, id));
    assert.equal(second.status, 'approved');
    assert.equal(second.disclosures, undefined);
    assert.ok(second.collectedAt !== undefined);
    assert.ok(second.record !== undefined, 'the record reference stays');
    for (const d of first.disclosures ?? []) assert.ok(!file().includes(d), 'deleted from the state file');
  });

  it('refuses collection without the person key, for another id or certifier, expired or replayed, and changes nothing', async () => {
    const s = service();
    const { id } = await submit(s, person);
    await s.approve(id, 'officer1', 2);
    const used = await collectionBy(person, id);
    const other = newPerson();
    const before = file();
    const cases: [ErrorCode, unknown][] = [
      ['KYC_INVALID_ARGUMENT', undefined],
      ['KYC_INVALID_ARGUMENT', 'not.a.jws'],
      // A certification request is not a collection request (typ).
      [
        'KYC_INVALID_ARGUMENT',
        await certificationRequest(person, { aud: 'CertifierMSP', nonce: 'x'.repeat(22), claims: CLAIMS }),
      ],
      // Signed by another key while naming the person.
      [
        'KYC_BAD_SIGNATURE',
        await createCollectionRequest({
          personId: person.id,
          sign: other.sign,
          certifier: 'CertifierMSP',
          certificationId: id,
        }),
      ],
      // Another person, signing correctly, asking for this person's certification.
      ['KYC_NOT_FOUND', await collectionBy(other, id)],
      // The person, for an id that is not theirs / does not exist.
      ['KYC_NOT_FOUND', await collectionBy(person, 'AAAAAAAAAAAAAAAAAAAAAA')],
      ['KYC_MISMATCH', await collectionBy(person, id, { certifier: 'OtherMSP' })],
      ['KYC_EXPIRED', await collectionBy(person, id, { at: clock - 200_000 })],
      ['KYC_INVALID_ARGUMENT', await collectionBy(person, id, { at: clock + 3_600_000 })],
    ];
    for (const [code, token] of cases) {
      assert.throws(() => s.collect(token), isKycError(code), code);
    }
    assert.equal(file(), before, 'a refused collection changes nothing');
    assert.ok(s.collect(used).disclosures !== undefined);
    assert.throws(() => s.collect(used), isKycError('KYC_CONFLICT'), 'replayed');
  });

  it('refuses a collection request that lives longer than 5 minutes', async () => {
    const s = service();
    const { id } = await submit(s, person);
    const iat = Math.floor(clock / 1000);
    const token = await signJws(
      { typ: TYP.collectionRequest },
      { sub: person.id, aud: 'CertifierMSP', certification_id: id, iat, exp: iat + 301, jti: 'j'.repeat(22) },
      person.sign,
    );
    assert.throws(() => s.collect(token), isKycError('KYC_INVALID_ARGUMENT'));
  });

  it('caps pending certifications per person (429) and in all (507); the refused nonce stays usable, nothing is stored', async () => {
    const s = service({ maxPendingPerPerson: 2, maxPending: 3 });
    await submit(s, person);
    await submit(s, person);
    const nonce = s.issueNonce().nonce;
    const before = file();
    await assert.rejects(submit(s, person, nonce), isKycError('KYC_RATE_LIMITED'));
    assert.equal(file(), before);
    const second = newPerson();
    await submit(s, second, nonce);
    const third = newPerson();
    const beforeFull = file();
    await assert.rejects(submit(s, third), isKycError('KYC_CAPACITY'));
    assert.equal(s.list('pending').length, 3);
    // The refused submission's nonce is the only change: it was issued, not consumed.
    assert.equal(
      Object.keys(JSON.parse(file()).certifications).length,
      Object.keys(JSON.parse(beforeFull).certifications).length,
    );
  });

  it('caps outstanding nonces per client (429) and in all (507)', () => {
    const s = service({ maxNoncesPerClient: 2, maxNonces: 3 });
    s.issueNonce('10.0.0.1');
    s.issueNonce('10.0.0.1');
    const before = file();
    assert.throws(() => s.issueNonce('10.0.0.1'), isKycError('KYC_RATE_LIMITED'));
    assert.equal(file(), before);
    s.issueNonce('10.0.0.2');
    assert.throws(() => s.issueNonce('10.0.0.3'), isKycError('KYC_CAPACITY'));
    assert.ok(!file().includes('10.0.0.'), 'client addresses are not stored');
    clock += 601_000;
    s.issueNonce('10.0.0.1');
    assert.equal(Object.keys(JSON.parse(file()).nonces).length, 1, 'expired nonces are dropped');
  });

  it('drops pending certifications, with their claims, after the pending TTL', async () => {
    const s = service({ pendingTtlSeconds: 3600 });
    const { id } = await submit(s, person);
    clock += 3_601_000;
    assert.throws(() => s.get(id), isKycError('KYC_NOT_FOUND'));
    assert.equal(s.list(undefined).length, 0);
    s.issueNonce();
    assert.ok(!file().includes(CLAIMS.family_name));
    await assert.rejects(s.approve(id, 'officer1', 2), isKycError('KYC_NOT_FOUND'));
  });

  it('deletes uncollected disclosures after the retention time', async () => {
    const s = service({ disclosureRetentionSeconds: 3600 });
    const { id } = await submit(s, person);
    await s.approve(id, 'officer1', 2);
    clock += 3_601_000;
    const late = s.collect(await collectionBy(person, id));
    assert.equal(late.status, 'approved');
    assert.equal(late.disclosures, undefined);
  });
});
