import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCollectionRequest,
  KycError,
  parseDisclosure,
  recordExistsDetail,
  signJws,
  TYP,
  type ErrorCode,
} from '../../../../protocol/src';
import type { CertifierLimits } from '../../../../services/src/config';
import {
  CertificationService,
  type CertificationServiceOptions,
} from '../../../../services/src/certifier/certifications';
import type { KycStore } from '../../../../store/src';
import {
  CLAIMS_SALT,
  certificationRequest,
  isKycError,
  newPerson,
  nowSeconds,
  rawCount,
  rawRows,
  recordFrom,
  stubLedger,
  tempDir,
  testStore,
  type Person,
  type StubLedger,
} from '../fakes';

// Values long enough that no ciphertext or salt can contain one by chance (the tests scan raw rows for them).
const CLAIMS = { given_name: 'Augusta Ada', family_name: 'Lovelace-Byron', birthdate: '1815-12-10' };

describe('certifier service: certifications', () => {
  let dir: ReturnType<typeof tempDir>;
  let ledger: StubLedger;
  let service: CertificationService;
  let store: KycStore;
  const person = newPerson();

  beforeEach(async () => {
    dir = tempDir();
    store = await testStore(dir.path);
    ledger = stubLedger();
    ledger.certify.callsFake((personId: string, ...rest: unknown[]) =>
      Promise.resolve(recordFrom(personId, 'CertifierMSP', rest)),
    );
    ledger.renew.callsFake((personId: string, ...rest: unknown[]) =>
      Promise.resolve(recordFrom(personId, 'CertifierMSP', rest, 2)),
    );
    service = serviceWith();
  });
  /** The service on this test's store and ledger, with `changes` to its options. */
  const serviceWith = (changes: Partial<CertificationServiceOptions> = {}): CertificationService =>
    new CertificationService({
      mspId: 'CertifierMSP',
      store,
      validityDays: 365,
      decoyDigests: 2,
      nonceTtlSeconds: 600,
      ledgerFor: () => ledger,
      ...changes,
    });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  async function submitValid() {
    const { nonce } = await service.issueNonce();
    const request = await certificationRequest(person, { aud: 'CertifierMSP', nonce, claims: CLAIMS });
    return {
      request,
      ...(await service.submit({
        personId: person.id,
        kind: 'identity',
        claims: CLAIMS,
        claimsSalt: CLAIMS_SALT,
        request,
      })),
    };
  }

  it('queues a correctly signed request and approves it into a ledger commitment of salted digests', async () => {
    const { id, status } = await submitValid();
    assert.equal(status, 'pending');
    const approved = await service.approve(id, 'officer1', 1);
    assert.equal(approved.status, 'approved');
    assert.equal(ledger.certify.callCount, 1);
    const [personId, , commitment] = ledger.certify.firstCall.args as [
      string,
      string,
      { digests: string[]; level: number },
    ];
    assert.equal(personId, person.id);
    assert.equal(commitment.level, 1, 'without evidence, level 1');
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
    assert.deepEqual((await service.get(id)).record?.version, 1);
    assert.equal((await service.get(id)).claims, undefined, 'the claims are dropped once decided');
  });

  it('renews instead when Certify says this certifier already holds a record of that kind', async () => {
    ledger.certify.rejects(new KycError('KYC_CONFLICT', recordExistsDetail('identity', 'CertifierMSP')));
    const { id } = await submitValid();
    const approved = await service.approve(id, 'officer1', 1);
    assert.equal(ledger.certify.callCount, 1);
    assert.equal(ledger.renew.callCount, 1);
    assert.equal(ledger.getAttestation.callCount, 0, 'no read just to choose Certify or Renew');
    assert.equal(approved.record?.version, 2);
  });

  it('does not renew when Certify refuses for another reason (a used request is also KYC_CONFLICT)', async () => {
    ledger.certify.rejects(new KycError('KYC_CONFLICT', 'this certification request has already been used'));
    const { id } = await submitValid();
    await assert.rejects(service.approve(id, 'officer1', 1), isKycError('KYC_CONFLICT'));
    assert.equal(ledger.renew.callCount, 0);
    assert.equal((await service.get(id)).status, 'pending');
  });

  it('keeps the certification pending when the ledger refuses at endorsement, and lets it be approved later', async () => {
    ledger.certify.onFirstCall().rejects(new KycError('KYC_UNAVAILABLE', 'ledger down'));
    const { id } = await submitValid();
    await assert.rejects(service.approve(id, 'officer1', 1), isKycError('KYC_UNAVAILABLE'));
    assert.equal((await service.get(id)).status, 'pending');
    assert.equal(rawCount(dir.path, 'certifications', 'pending'), 1);
    const approved = await service.approve(id, 'officer1', 1);
    assert.equal(approved.status, 'approved');
    assert.deepEqual(await service.approve(id, 'officer1', 1), approved, 'approving again: the same approval');
    await assert.rejects(service.approve(id, 'officer1', 2), isKycError('KYC_CONFLICT'), 'at another level');
    assert.equal(ledger.commit.callCount, 1);
  });

  it('completes an approval whose outcome was unknown with the same transaction and the disclosures made first', async () => {
    ledger.commit.onFirstCall().rejects(new KycError('KYC_UNAVAILABLE', 'the ledger did not answer in time; retry'));
    const { id } = await submitValid();
    await assert.rejects(service.approve(id, 'officer1', 1), isKycError('KYC_UNAVAILABLE'));
    const inProgress = await service.get(id);
    assert.equal(inProgress.status, 'pending', 'still pending to everyone');
    assert.equal(inProgress.disclosures, undefined, 'not the person’s until committed');
    assert.equal(rawCount(dir.path, 'certifications', 'approving'), 1);
    await assert.rejects(service.reject(id, 'officer2', 'changed my mind'), isKycError('KYC_CONFLICT'));
    await assert.rejects(service.approve(id, 'officer1', 2), isKycError('KYC_CONFLICT'), 'at another level');
    const approved = await service.approve(id, 'officer2', 1);
    assert.equal(approved.status, 'approved');
    assert.equal(approved.decidedBy, 'officer1', 'the officer who signed the transaction');
    assert.equal(ledger.certify.callCount, 1, 'endorsed once');
    const ids = ledger.commit.getCalls().map((c) => (c.args[0] as { id: string }).id);
    assert.deepEqual(ids, [ids[0], ids[0]], 'the same transaction ordered again');
    const [, , commitment] = ledger.certify.firstCall.args as [string, string, { digests: string[] }];
    for (const d of (approved.disclosures ?? []).map(parseDisclosure)) assert.ok(commitment.digests.includes(d.digest));
    assert.equal(approved.disclosures?.length, 3);
  });

  it('returns an approval refused at commit to pending, its disclosures dropped', async () => {
    ledger.commit.onFirstCall().rejects(new KycError('KYC_CONFLICT', 'a concurrent update changed the record; retry'));
    const { id } = await submitValid();
    await assert.rejects(service.approve(id, 'officer1', 1), isKycError('KYC_CONFLICT'));
    assert.equal(rawCount(dir.path, 'certifications', 'pending'), 1);
    assert.equal((await store.get('certifications', id))?.personal?.disclosures, undefined);
    assert.equal((await service.approve(id, 'officer1', 1)).status, 'approved');
    assert.equal(ledger.certify.callCount, 2, 'a new transaction, since the first one can never commit');
  });

  it('the sweep completes an approval left in progress by a crash, once it is stale', async () => {
    ledger.commit.onFirstCall().callsFake(() => new Promise(() => undefined)); // the process "dies" at the ledger
    const { id } = await submitValid();
    void service.approve(id, 'officer1', 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await service.completeApprovals(), 0, 'not while it may still be in flight');
    await serviceWith({ now: () => new Date(Date.now() + 121_000) }).sweep();
    assert.equal((await service.get(id)).status, 'approved');
    assert.equal(ledger.certify.callCount, 1);
  });

  it('refuses bad submissions with their codes and stores nothing', async () => {
    const other = newPerson();
    const cases: [string, () => Promise<{ personId: string; request: string; claims: unknown }>][] = [
      [
        // One certification-request check (protocol/src/checks.ts) with the contract's codes.
        'KYC_MISMATCH',
        async () => ({
          personId: person.id,
          claims: CLAIMS,
          request: await certificationRequest(person, {
            aud: 'OtherMSP',
            nonce: (await service.issueNonce()).nonce,
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
            nonce: (await service.issueNonce()).nonce,
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
            { aud: 'CertifierMSP', nonce: (await service.issueNonce()).nonce, claims: CLAIMS },
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
            nonce: (await service.issueNonce()).nonce,
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
      await assert.rejects(
        service.submit({ kind: 'identity', claimsSalt: CLAIMS_SALT, ...input }),
        isKycError(code),
        code,
      );
    }
    assert.equal((await service.list(undefined)).length, 0);
    assert.equal(rawCount(dir.path, 'certifications'), 0);
  });

  it('refuses claims whose secret salt does not reproduce the signed claims_hash', async () => {
    const { nonce } = await service.issueNonce();
    const request = await certificationRequest(person, { aud: 'CertifierMSP', nonce, claims: CLAIMS });
    await assert.rejects(
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

  it('accepts each nonce once: a reuse is a conflict, also when two service instances race for it', async () => {
    const { nonce } = await service.issueNonce();
    const request = await certificationRequest(person, { aud: 'CertifierMSP', nonce, claims: CLAIMS });
    const input = { personId: person.id, kind: 'identity', claims: CLAIMS, claimsSalt: CLAIMS_SALT, request };
    const first = await service.submit(input);
    // The same signed request again (an answer lost on the way): the same certification, not a second one.
    assert.deepEqual(await service.submit(input), first);
    assert.equal(rawCount(dir.path, 'certifications', 'pending'), 1);
    const again = await certificationRequest(person, { aud: 'CertifierMSP', nonce, claims: CLAIMS });
    await assert.rejects(service.submit({ ...input, request: again }), isKycError('KYC_CONFLICT'));
    await assert.rejects(
      service.submit({
        ...input,
        request: await certificationRequest(person, { aud: 'CertifierMSP', nonce: 'n'.repeat(22), claims: CLAIMS }),
      }),
      isKycError('KYC_INVALID_ARGUMENT'),
      'a nonce never issued',
    );
    // A second process on the same database file: the database, not process memory, decides.
    const otherStore = await testStore(dir.path);
    try {
      const other = new CertificationService({
        mspId: 'CertifierMSP',
        store: otherStore,
        validityDays: 365,
        decoyDigests: 0,
        nonceTtlSeconds: 600,
        limits: { maxPendingPerPerson: 100 },
        ledgerFor: () => ledger,
      });
      for (let round = 0; round < 5; round++) {
        const shared = (await service.issueNonce()).nonce;
        const who = newPerson();
        const requestFor = await certificationRequest(who, { aud: 'CertifierMSP', nonce: shared, claims: CLAIMS });
        const body = {
          personId: who.id,
          kind: 'identity',
          claims: CLAIMS,
          claimsSalt: CLAIMS_SALT,
          request: requestFor,
        };
        const results = await Promise.allSettled([service.submit(body), other.submit(body)]);
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one submission proceeds');
        const refused = results.find((r) => r.status === 'rejected');
        assert.ok(refused !== undefined && isKycError('KYC_CONFLICT')(refused.reason));
      }
    } finally {
      await otherStore.close();
    }
  });

  it('rejects (dropping the claims), and keeps its state across restarts in an owner-only, encrypted file', async () => {
    const { id } = await submitValid();
    await service.reject(id, 'officer1', 'documents did not match');
    await store.close();
    store = await testStore(dir.path);
    const reloaded = new CertificationService({
      mspId: 'CertifierMSP',
      store,
      validityDays: 1,
      decoyDigests: 0,
      nonceTtlSeconds: 60,
      ledgerFor: () => ledger,
    });
    const rejected = await reloaded.get(id);
    assert.equal(rejected.status, 'rejected');
    assert.equal(rejected.reason, 'documents did not match');
    assert.equal(rejected.claims, undefined);
    const raw = rawRows(dir.path);
    assert.ok(raw.includes(id));
    for (const value of Object.values(CLAIMS)) assert.ok(!raw.includes(value));
    assert.equal(statSync(join(dir.path, 'state.sqlite')).mode & 0o077, 0);
  });

  it('keeps claims only as ciphertext while pending', async () => {
    const { id } = await submitValid();
    assert.deepEqual((await service.get(id)).claims, CLAIMS);
    const raw = rawRows(dir.path);
    assert.ok(raw.includes(person.id), 'control: the person id is a plain column');
    for (const value of Object.values(CLAIMS)) {
      for (const encoded of [value, Buffer.from(value).toString('base64'), Buffer.from(value).toString('base64url')]) {
        assert.ok(!raw.includes(encoded), `${value} stored in plaintext`);
      }
    }
  });

  it('refuses an unknown certification and a bad level', async () => {
    await assert.rejects(service.get('AAAAAAAAAAAAAAAAAAAAAA'), isKycError('KYC_NOT_FOUND'));
    const { id } = await submitValid();
    await assert.rejects(service.approve(id, 'officer1', 7), isKycError('KYC_INVALID_ARGUMENT'));
    assert.equal(ledger.certify.callCount, 0);
  });
});

describe('certifier service: collection by the person, and the limits on pending state', () => {
  let dir: ReturnType<typeof tempDir>;
  let ledger: StubLedger;
  let clock: number;
  let store: KycStore;
  const person = newPerson();
  const file = (): string => rawRows(dir.path);

  function service(limits: Partial<CertifierLimits> = {}): CertificationService {
    return new CertificationService({
      mspId: 'CertifierMSP',
      store,
      validityDays: 365,
      decoyDigests: 0,
      nonceTtlSeconds: 600,
      limits,
      ledgerFor: () => ledger,
      now: () => new Date(clock),
    });
  }

  async function submit(s: CertificationService, who: Person, given?: string) {
    const nonce = given ?? (await s.issueNonce()).nonce;
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

  beforeEach(async () => {
    dir = tempDir();
    store = await testStore(dir.path);
    clock = Date.now();
    ledger = stubLedger();
    ledger.certify.callsFake((personId: string, ...rest: unknown[]) =>
      Promise.resolve(recordFrom(personId, 'CertifierMSP', rest)),
    );
  });
  afterEach(async () => {
    await store.close();
    dir.remove();
  });

  it('hands the disclosures to the key the certification is for, once; later requests see the status only', async () => {
    const s = service();
    const { id } = await submit(s, person);
    const pending = await s.collect(await collectionBy(person, id));
    assert.equal(pending.status, 'pending');
    assert.equal(pending.disclosures, undefined);
    await s.approve(id, 'officer1', 1);
    const first = await s.collect(await collectionBy(person, id));
    assert.equal(first.status, 'approved');
    assert.deepEqual(
      Object.fromEntries((first.disclosures ?? []).map(parseDisclosure).map((d) => [d.name, d.value])),
      CLAIMS,
    );
    assert.equal(first.collectedAt, undefined);
    const second = await s.collect(await collectionBy(person, id));
    assert.equal(second.status, 'approved');
    assert.equal(second.disclosures, undefined);
    assert.ok(second.collectedAt !== undefined);
    assert.ok(second.record !== undefined, 'the record reference stays');
    assert.equal((await store.get('certifications', id))?.personal, undefined, 'deleted from the store');
    for (const d of first.disclosures ?? []) assert.ok(!file().includes(d), 'never in the file in plaintext');
  });

  it('refuses collection without the person key, for another id or certifier, expired or replayed, and changes nothing', async () => {
    const s = service();
    const { id } = await submit(s, person);
    await s.approve(id, 'officer1', 1);
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
      await assert.rejects(s.collect(token), isKycError(code), code);
    }
    assert.equal(file(), before, 'a refused collection changes nothing');
    assert.ok((await s.collect(used)).disclosures !== undefined);
    await assert.rejects(s.collect(used), isKycError('KYC_CONFLICT'), 'replayed');
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
    await assert.rejects(s.collect(token), isKycError('KYC_INVALID_ARGUMENT'));
  });

  it('caps pending certifications per person (429) and in all (507); the refused nonce stays usable, nothing is stored', async () => {
    const s = service({ maxPendingPerPerson: 2, maxPending: 3 });
    await submit(s, person);
    await submit(s, person);
    const nonce = (await s.issueNonce()).nonce;
    const before = file();
    await assert.rejects(submit(s, person, nonce), isKycError('KYC_RATE_LIMITED'));
    assert.equal(file(), before);
    const second = newPerson();
    await submit(s, second, nonce);
    const third = newPerson();
    const beforeFull = rawRows(dir.path, ['certifications']);
    await assert.rejects(submit(s, third), isKycError('KYC_CAPACITY'));
    assert.equal((await s.list('pending')).length, 3);
    assert.equal(rawRows(dir.path, ['certifications']), beforeFull, 'the refused submission stored nothing');
    assert.equal(rawCount(dir.path, 'certifications'), 3);
  });

  it('caps outstanding nonces per client (429) and in all (507)', async () => {
    const s = service({ maxNoncesPerClient: 2, maxNonces: 3 });
    await s.issueNonce('10.0.0.1');
    await s.issueNonce('10.0.0.1');
    const before = file();
    await assert.rejects(s.issueNonce('10.0.0.1'), isKycError('KYC_RATE_LIMITED'));
    assert.equal(file(), before);
    await s.issueNonce('10.0.0.2');
    await assert.rejects(s.issueNonce('10.0.0.3'), isKycError('KYC_CAPACITY'));
    assert.ok(!rawRows(dir.path, ['nonces', 'officers']).includes('10.0.0.'), 'client addresses are not stored');
    clock += 601_000;
    await s.issueNonce('10.0.0.1');
    assert.equal(rawCount(dir.path, 'nonces'), 1, 'expired nonces are dropped');
  });

  it('digests client addresses with one key per organisation, so replicas count a client alike', async () => {
    await service().issueNonce('10.0.0.9');
    const otherStore = await testStore(dir.path);
    try {
      const other = new CertificationService({
        mspId: 'CertifierMSP',
        store: otherStore,
        validityDays: 365,
        decoyDigests: 0,
        nonceTtlSeconds: 600,
        limits: { maxNoncesPerClient: 2 },
        ledgerFor: () => ledger,
        now: () => new Date(clock),
      });
      await other.issueNonce('10.0.0.9');
      await assert.rejects(other.issueNonce('10.0.0.9'), isKycError('KYC_RATE_LIMITED'));
    } finally {
      await otherStore.close();
    }
  });

  it('drops pending certifications, with their claims, after the pending TTL', async () => {
    const s = service({ pendingTtlSeconds: 3600 });
    const { id } = await submit(s, person);
    clock += 3_601_000;
    await assert.rejects(s.get(id), isKycError('KYC_NOT_FOUND'));
    assert.equal((await s.list(undefined)).length, 0);
    await assert.rejects(s.approve(id, 'officer1', 1), isKycError('KYC_NOT_FOUND'));
    await s.sweep();
    assert.equal(rawCount(dir.path, 'certifications'), 0, 'the sweep deletes the record and its claims');
  });

  it('deletes uncollected disclosures after the retention time', async () => {
    const s = service({ disclosureRetentionSeconds: 3600 });
    const { id } = await submit(s, person);
    await s.approve(id, 'officer1', 1);
    clock += 3_601_000;
    const late = await s.collect(await collectionBy(person, id));
    assert.equal(late.status, 'approved');
    assert.equal(late.disclosures, undefined);
  });

  it('sweeps uncollected disclosures after the retention time, keeping the decision', async () => {
    const s = service({ disclosureRetentionSeconds: 3600 });
    const { id } = await submit(s, person);
    await s.approve(id, 'officer1', 1);
    assert.ok((await store.get('certifications', id))?.personal?.disclosures !== undefined);
    await s.sweep();
    assert.ok((await store.get('certifications', id))?.personal?.disclosures !== undefined, 'not before the retention');
    clock += 3_601_000;
    await s.sweep();
    const record = await store.get('certifications', id);
    assert.equal(record?.personal, undefined, 'disclosures and data key gone');
    assert.equal((await s.get(id)).status, 'approved');
  });
});
