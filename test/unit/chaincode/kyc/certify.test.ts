import '../quiet-logs';
import assert from 'node:assert/strict';
import bs58 from 'bs58';
import { KeyEndorsementPolicy } from 'fabric-shim';
import { decodeJws } from '../../../../protocol/src';
import { CALLERS, CERTIFIER_MSP, OTHER_CERTIFIER_MSP, assertRefused } from '../fakes';
import {
  certificationRequest,
  commitment,
  decoyDigest,
  discloseClaims,
  distinctiveClaims,
  newPerson,
} from '../fixtures';
import type { Person } from '../fixtures';
import { DAY, KycWorld, iso } from './world';

/** The P-256 group order: `s` and `n - s` are both valid ECDSA signatures of the same message. */
const P256_ORDER = BigInt('0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551');

/** The same JWS with its signature's `s` replaced by `n - s`: still valid, different bytes. */
function malleate(jws: string): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`);
  const flipped = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex');
  return `${header}.${payload}.${Buffer.concat([bytes.subarray(0, 32), flipped]).toString('base64url')}`;
}

describe('kyc Certify', () => {
  let world: KycWorld;
  let person: Person;
  let window: { validFrom: string; validUntil: string };

  beforeEach(async () => {
    world = await KycWorld.founded();
    person = newPerson();
    window = { validFrom: iso(world.ledger.now - DAY), validUntil: iso(world.ledger.now + 365 * DAY) };
  });

  function certifierTx(caller = CALLERS.certifierOfficer) {
    return world.ledger.tx({ caller, peerMsp: CERTIFIER_MSP });
  }

  async function request(overrides: Partial<Parameters<typeof certificationRequest>[1]> = {}) {
    return certificationRequest(person, { aud: CERTIFIER_MSP, kind: 'identity', at: world.ledger.now, ...overrides });
  }

  function validCommitment(digests: readonly string[] = [decoyDigest()]) {
    return commitment({ digests, ...window });
  }

  it('records version 1 with sorted digests, the request and the tx time, and returns it', async () => {
    const disclosures = discloseClaims();
    const digests = disclosures.map((d) => d.digest).reverse();
    const requestJws = await request();
    const tx = certifierTx();
    const json = await world.ledger.submit(tx, (ctx) =>
      world.contract.Certify(ctx, person.did, requestJws, commitment({ digests, level: 3, ...window })),
    );
    const record = JSON.parse(json);
    assert.deepEqual(record, {
      docType: 'kyc.attestation',
      personId: person.did,
      certifier: CERTIFIER_MSP,
      kind: 'identity',
      schema: 'kyc.person.v1',
      level: 3,
      alg: 'sha-256',
      digests: [...digests].sort(),
      validFrom: window.validFrom,
      validUntil: window.validUntil,
      status: 'active',
      version: 1,
      request: requestJws,
      requestId: decodeJws(requestJws, 'kyc-certification-request+jwt').id,
      certifiedBy: CALLERS.certifierOfficer.id,
      createdAt: iso(world.ledger.now),
      updatedAt: iso(world.ledger.now),
    });
    const key = tx.stub.createCompositeKey('kyc.attestation', [person.did, CERTIFIER_MSP, 'identity']);
    assert.equal(world.ledger.state.get(key)?.toString('utf8'), json, 'returns exactly the stored bytes');
  });

  it('marks the request used under its JWS id', async () => {
    const requestJws = await request();
    const tx = certifierTx();
    await world.ledger.submit(tx, (ctx) => world.contract.Certify(ctx, person.did, requestJws, validCommitment()));
    const requestId = decodeJws(requestJws, 'kyc-certification-request+jwt').id;
    assert.deepEqual(world.ledger.read(tx.stub.createCompositeKey('kyc.request', [requestId])), {
      docType: 'kyc.request',
      requestId,
      personId: person.did,
      certifier: CERTIFIER_MSP,
      kind: 'identity',
      txId: tx.txId,
      usedAt: iso(world.ledger.now),
    });
  });

  it("sets the record's key-level endorsement policy to the certifier org's peers", async () => {
    const requestJws = await request();
    const tx = certifierTx();
    await world.ledger.submit(tx, (ctx) => world.contract.Certify(ctx, person.did, requestJws, validCommitment()));
    const key = tx.stub.createCompositeKey('kyc.attestation', [person.did, CERTIFIER_MSP, 'identity']);
    const parameter = world.ledger.validationParameters.get(key);
    assert.ok(parameter !== undefined, 'no validation parameter on the record');
    assert.deepEqual(new KeyEndorsementPolicy(parameter).listOrgs(), [CERTIFIER_MSP]);
    const expected = new KeyEndorsementPolicy();
    expected.addOrgs('PEER', CERTIFIER_MSP);
    assert.deepEqual(Buffer.from(parameter), Buffer.from(expected.getPolicy()), 'PEER role of the certifier org');
    assert.equal(world.ledger.validationParameters.size, 1, 'only the record gets a key-level policy');
  });

  it('emits kyc.AttestationChanged without personal data', async () => {
    const requestJws = await request();
    const tx = certifierTx();
    await world.ledger.submit(tx, (ctx) => world.contract.Certify(ctx, person.did, requestJws, validCommitment()));
    assert.deepEqual(world.ledger.events, [
      {
        name: 'kyc.AttestationChanged',
        payload: { personId: person.did, certifier: CERTIFIER_MSP, kind: 'identity', version: 1, status: 'active' },
        txId: tx.txId,
      },
    ]);
  });

  it('accepts decoy digests and never stores a claim value', async () => {
    const certified = await world.certify({ decoys: 5, claims: distinctiveClaims() });
    assert.equal((certified.record.digests as string[]).length, 4 + 5);
    const written = certified.tx.allWrittenText();
    for (const disclosure of certified.disclosures) {
      assert.ok(!written.includes(disclosure.value), `claim value of ${disclosure.name} written`);
      assert.ok(!written.includes(disclosure.salt), `salt of ${disclosure.name} written`);
      assert.ok(!written.includes(disclosure.disclosure), `disclosure of ${disclosure.name} written`);
    }
  });

  it('writes identical bytes on every endorsing peer (deterministic)', async () => {
    const requestJws = await request();
    const args = [person.did, requestJws, validCommitment([decoyDigest(), decoyDigest()])] as const;
    const peers = [await KycWorld.founded(), await KycWorld.founded()];
    const writes = await Promise.all(
      peers.map(async ({ ledger, contract }) => {
        const tx = ledger.tx({ caller: CALLERS.certifierOfficer, txId: 'same-proposal', at: world.ledger.now });
        const result = await ledger.submit(tx, (ctx) => contract.Certify(ctx, ...args));
        return { result, writes: tx.stub.writes, event: tx.stub.event };
      }),
    );
    assert.deepEqual(writes[0], writes[1]);
  });

  describe('refuses callers without the certifier role', () => {
    const cases = [
      ['a member of a certifier org without kyc.role', CALLERS.certifierClerk],
      ['a certifier org member with the bank role', CALLERS.certifierWithBankRole],
      ['a bank claiming kyc.role=certifier', CALLERS.bankWithCertifierRole],
      ['an organisation with no role', CALLERS.outsider],
    ] as const;
    for (const [title, caller] of cases) {
      it(title, async () => {
        const requestJws = await request({ aud: caller.mspId });
        await assertRefused(
          world.ledger,
          certifierTx(caller),
          (ctx) => world.contract.Certify(ctx, person.did, requestJws, validCommitment()),
          'KYC_FORBIDDEN',
        );
      });
    }

    it('everyone before the consortium is founded (fail closed)', async () => {
      const unfounded = new KycWorld();
      const requestJws = await request();
      await assertRefused(
        unfounded.ledger,
        unfounded.ledger.tx({ caller: CALLERS.certifierOfficer, peerMsp: CERTIFIER_MSP }),
        (ctx) => unfounded.contract.Certify(ctx, person.did, requestJws, validCommitment()),
        'KYC_FORBIDDEN',
        /organisation CertifierMSP does not hold the certifier role/,
      );
    });
  });

  describe('refuses a malformed person id', () => {
    const offCurve = `did:key:z${bs58.encode(Buffer.concat([Buffer.from([0x80, 0x24, 0x02]), Buffer.alloc(32, 0xff)]))}`;
    const cases = [
      ['empty', ''],
      ['another did method', 'did:web:example.com'],
      ['a key that is not P-256', 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'],
      ['a point off the curve', offCurve],
      ['an overlong string', `did:key:zDn${'a'.repeat(5000)}`],
    ] as const;
    for (const [title, personId] of cases) {
      it(title, async () => {
        const requestJws = await request();
        await assertRefused(
          world.ledger,
          certifierTx(),
          (ctx) => world.contract.Certify(ctx, personId, requestJws, validCommitment()),
          'KYC_INVALID_ARGUMENT',
        );
      });
    }
  });

  describe('refuses a malformed commitment', () => {
    const digest = decoyDigest();
    const cases: [string, () => string][] = [
      ['not JSON', () => '{schema'],
      ['a JSON array', () => '[]'],
      ['an unknown field', () => commitment({ digests: [digest], ...window, extra: { claims: { name: 'x' } } })],
      ['a missing field', () => JSON.stringify({ schema: 'kyc.person.v1', level: 2, digests: [digest] })],
      ['a level given as a string', () => commitment({ digests: [digest], ...window, extra: { level: '2' } })],
      ['level 4', () => commitment({ digests: [digest], level: 4, ...window })],
      ['a malformed schema', () => commitment({ digests: [digest], schema: 'Bad Schema', ...window })],
      ['no digests', () => commitment({ digests: [], ...window })],
      ['a malformed digest', () => commitment({ digests: ['abc'], ...window })],
      ['a duplicate digest', () => commitment({ digests: [digest, digest], ...window })],
      ['65 digests', () => commitment({ digests: Array.from({ length: 65 }, decoyDigest), ...window })],
      [
        'validFrom after validUntil',
        () => commitment({ digests: [digest], validFrom: window.validUntil, validUntil: window.validFrom }),
      ],
      [
        'validUntil before the tx time',
        () =>
          commitment({
            digests: [digest],
            validFrom: iso(world.ledger.now - 2 * DAY),
            validUntil: iso(world.ledger.now - DAY),
          }),
      ],
      [
        'validUntil at the tx time',
        () =>
          commitment({ digests: [digest], validFrom: iso(world.ledger.now - DAY), validUntil: iso(world.ledger.now) }),
      ],
      [
        'a window over ten years',
        () => commitment({ digests: [digest], validFrom: '2026-01-01T00:00:00Z', validUntil: '2036-01-05T00:00:00Z' }),
      ],
      [
        'a time with an offset',
        () => commitment({ digests: [digest], validFrom: '2026-01-01T00:00:00+01:00', validUntil: window.validUntil }),
      ],
      [
        'an impossible date',
        () => commitment({ digests: [digest], validFrom: '2026-02-30T00:00:00Z', validUntil: window.validUntil }),
      ],
      [
        'a date without time',
        () => commitment({ digests: [digest], validFrom: '2026-01-01', validUntil: window.validUntil }),
      ],
      ['an oversized argument', () => commitment({ digests: [digest], ...window, extra: { pad: 'x'.repeat(9000) } })],
    ];
    for (const [title, build] of cases) {
      it(title, async () => {
        const requestJws = await request();
        await assertRefused(
          world.ledger,
          certifierTx(),
          (ctx) => world.contract.Certify(ctx, person.did, requestJws, build()),
          'KYC_INVALID_ARGUMENT',
        );
      });
    }

    it('accepts a window of exactly ten years and times with or without milliseconds', async () => {
      const requestJws = await request();
      const json = await world.ledger.submit(certifierTx(), (ctx) =>
        world.contract.Certify(
          ctx,
          person.did,
          requestJws,
          commitment({ digests: [digest], validFrom: '2026-01-01T00:00:00Z', validUntil: '2036-01-01T00:00:00.000Z' }),
        ),
      );
      assert.equal(JSON.parse(json).validFrom, '2026-01-01T00:00:00.000Z');
    });
  });

  describe('refuses a bad certification request', () => {
    it('not a JWS', async () => {
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, 'not-a-jws', validCommitment()),
        'KYC_INVALID_ARGUMENT',
      );
    });

    it('signed by someone else', async () => {
      const forged = await request({ signedBy: newPerson() });
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, forged, validCommitment()),
        'KYC_BAD_SIGNATURE',
      );
    });

    it('about another person', async () => {
      const other = await request({ payload: { sub: newPerson().did } });
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, other, validCommitment()),
        'KYC_MISMATCH',
        /another person/,
      );
    });

    it('addressed to another certifier', async () => {
      const elsewhere = await request({ aud: OTHER_CERTIFIER_MSP });
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, elsewhere, validCommitment()),
        'KYC_MISMATCH',
        /another certifier/,
      );
    });

    it('expired at the tx time', async () => {
      const old = await request({ at: world.ledger.now - 3600 * 1000, lifetimeSeconds: 600 });
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, old, validCommitment()),
        'KYC_EXPIRED',
      );
    });

    it('living longer than thirty days', async () => {
      const long = await request({ lifetimeSeconds: 31 * 24 * 3600 });
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, long, validCommitment()),
        'KYC_INVALID_ARGUMENT',
      );
    });

    it('issued in the future beyond the clock skew', async () => {
      const future = await request({ at: world.ledger.now + 3600 * 1000 });
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, future, validCommitment()),
        'KYC_INVALID_ARGUMENT',
      );
    });

    it('with a malformed payload (no kind)', async () => {
      const noKind = await request({ payload: { kind: undefined } });
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, noKind, validCommitment()),
        'KYC_INVALID_ARGUMENT',
      );
    });
  });

  describe('conflicts', () => {
    it('refuses a request that was used before', async () => {
      const requestJws = await request();
      await world.ledger.submit(certifierTx(), (ctx) =>
        world.contract.Certify(ctx, person.did, requestJws, validCommitment()),
      );
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, requestJws, validCommitment()),
        'KYC_CONFLICT',
        /already been used/,
      );
    });

    it('refuses the same request with a re-encoded (malleated) signature', async () => {
      const requestJws = await request({ kind: 'address' });
      await world.ledger.submit(certifierTx(), (ctx) =>
        world.contract.Certify(ctx, person.did, requestJws, validCommitment()),
      );
      const twin = malleate(requestJws);
      assert.notEqual(twin, requestJws);
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, twin, validCommitment()),
        'KYC_CONFLICT',
        /already been used/,
      );
    });

    it('refuses a second record of the same kind by the same certifier (use Renew)', async () => {
      await world.certify({}, person);
      const fresh = await request();
      await assertRefused(
        world.ledger,
        certifierTx(),
        (ctx) => world.contract.Certify(ctx, person.did, fresh, validCommitment()),
        'KYC_CONFLICT',
        /use Renew/,
      );
    });

    it('lets another certifier and another kind have their own records', async () => {
      await world.certify({}, person);
      await world.certify({ kind: 'address' }, person);
      await world.certify({ caller: CALLERS.otherCertifierOfficer }, person);
      const all = JSON.parse(
        await world.ledger.evaluate(world.ledger.tx({ caller: CALLERS.bankClerk }), (ctx) =>
          world.contract.GetAttestations(ctx, person.did),
        ),
      );
      assert.deepEqual(
        all.map((r: { certifier: string; kind: string }) => `${r.certifier}/${r.kind}`),
        ['CertifierMSP/address', 'CertifierMSP/identity', 'OtherCertifierMSP/identity'],
      );
    });
  });
});

describe('kyc Renew', () => {
  let world: KycWorld;

  beforeEach(async () => {
    world = await KycWorld.founded();
  });

  async function renewal(person: Person, kind = 'identity', caller = CALLERS.certifierOfficer) {
    return certificationRequest(person, { aud: caller.mspId, kind, at: world.ledger.now });
  }

  function newCommitment(level = 3) {
    return commitment({
      digests: [decoyDigest(), decoyDigest()],
      level,
      validFrom: iso(world.ledger.now),
      validUntil: iso(world.ledger.now + 2 * 365 * DAY),
    });
  }

  it('replaces digests and window, bumps the version and keeps createdAt', async () => {
    const certified = await world.certify();
    world.ledger.advance(3600);
    const requestJws = await renewal(certified.person);
    const fresh = newCommitment(3);
    const tx = world.ledger.tx({ caller: CALLERS.certifierOfficer });
    const record = JSON.parse(
      await world.ledger.submit(tx, (ctx) =>
        world.contract.Renew(ctx, certified.person.did, 'identity', requestJws, fresh),
      ),
    );
    const expected = JSON.parse(fresh);
    assert.equal(record.version, 2);
    assert.equal(record.level, 3);
    assert.deepEqual(record.digests, [...expected.digests].sort());
    assert.equal(record.validUntil, expected.validUntil);
    assert.equal(record.createdAt, certified.record.createdAt);
    assert.equal(record.updatedAt, iso(world.ledger.now));
    assert.equal(record.request, requestJws);
    assert.equal(record.status, 'active');
    assert.deepEqual(world.ledger.events.at(-1)?.payload, {
      personId: certified.person.did,
      certifier: CERTIFIER_MSP,
      kind: 'identity',
      version: 2,
      status: 'active',
    });
    assert.ok(!tx.stub.writes.some((write) => write.type === 'setValidationParameter'), 'ownership does not change');
    const requestId = decodeJws(requestJws, 'kyc-certification-request+jwt').id;
    assert.ok(world.ledger.read(tx.stub.createCompositeKey('kyc.request', [requestId])) !== undefined);
  });

  it('lifts a revocation', async () => {
    const certified = await world.certify();
    await world.ledger.submit(world.ledger.tx({ caller: CALLERS.certifierOfficer }), (ctx) =>
      world.contract.Revoke(ctx, certified.person.did, 'identity', 'data-changed'),
    );
    const requestJws = await renewal(certified.person);
    const record = JSON.parse(
      await world.ledger.submit(world.ledger.tx({ caller: CALLERS.certifierOfficer }), (ctx) =>
        world.contract.Renew(ctx, certified.person.did, 'identity', requestJws, newCommitment()),
      ),
    );
    assert.equal(record.status, 'active');
    assert.equal(record.version, 3);
    assert.equal('revocation' in record, false);
  });

  it('refuses when the caller has no record of that kind', async () => {
    const person = newPerson();
    const requestJws = await renewal(person);
    await assertRefused(
      world.ledger,
      world.ledger.tx({ caller: CALLERS.certifierOfficer }),
      (ctx) => world.contract.Renew(ctx, person.did, 'identity', requestJws, newCommitment()),
      'KYC_NOT_FOUND',
    );
  });

  it("cannot touch another certifier's record", async () => {
    const certified = await world.certify();
    const requestJws = await renewal(certified.person, 'identity', CALLERS.otherCertifierOfficer);
    await assertRefused(
      world.ledger,
      world.ledger.tx({ caller: CALLERS.otherCertifierOfficer }),
      (ctx) => world.contract.Renew(ctx, certified.person.did, 'identity', requestJws, newCommitment()),
      'KYC_NOT_FOUND',
    );
  });

  it('refuses a request for another kind', async () => {
    const certified = await world.certify();
    const requestJws = await renewal(certified.person, 'address');
    await assertRefused(
      world.ledger,
      world.ledger.tx({ caller: CALLERS.certifierOfficer }),
      (ctx) => world.contract.Renew(ctx, certified.person.did, 'identity', requestJws, newCommitment()),
      'KYC_MISMATCH',
    );
  });

  it('refuses the request that created the record', async () => {
    const certified = await world.certify();
    await assertRefused(
      world.ledger,
      world.ledger.tx({ caller: CALLERS.certifierOfficer }),
      (ctx) =>
        world.contract.Renew(
          ctx,
          certified.person.did,
          'identity',
          certified.record.request as string,
          newCommitment(),
        ),
      'KYC_CONFLICT',
    );
  });

  it('refuses a malformed kind and callers without the role', async () => {
    const certified = await world.certify();
    const requestJws = await renewal(certified.person);
    await assertRefused(
      world.ledger,
      world.ledger.tx({ caller: CALLERS.certifierOfficer }),
      (ctx) => world.contract.Renew(ctx, certified.person.did, 'Identity!', requestJws, newCommitment()),
      'KYC_INVALID_ARGUMENT',
    );
    await assertRefused(
      world.ledger,
      world.ledger.tx({ caller: CALLERS.certifierClerk }),
      (ctx) => world.contract.Renew(ctx, certified.person.did, 'identity', requestJws, newCommitment()),
      'KYC_FORBIDDEN',
    );
  });

  it('renews repeatedly, each time with a fresh request', async () => {
    const certified = await world.certify();
    const first = await renewal(certified.person);
    const second = await renewal(certified.person);
    for (const requestJws of [first, second]) {
      await world.ledger.submit(world.ledger.tx({ caller: CALLERS.certifierOfficer }), (ctx) =>
        world.contract.Renew(ctx, certified.person.did, 'identity', requestJws, newCommitment()),
      );
    }
    const key = world.ledger
      .tx({ caller: CALLERS.certifierOfficer })
      .stub.createCompositeKey('kyc.attestation', [certified.person.did, CERTIFIER_MSP, 'identity']);
    assert.equal((world.ledger.read(key) as { version: number }).version, 3);
  });
});
