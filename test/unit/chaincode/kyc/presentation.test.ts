import '../quiet-logs';
import assert from 'node:assert/strict';
import { TYP, createDisclosure, decodeJws } from '../../../../protocol/src';
import type { ErrorCode } from '../../../../protocol/src';
import { BANK_MSP, CALLERS, CERTIFIER_MSP, OTHER_BANK_MSP, OTHER_CERTIFIER_MSP, assertRefused } from '../fakes';
import { certificationRequest, distinctiveClaims, newPerson, nonce } from '../fixtures';
import { DAY, KycWorld, iso } from './world';
import type { Certified, PresentOptions } from './world';

describe('kyc VerifyPresentation', () => {
  let world: KycWorld;
  let certified: Certified;

  beforeEach(async () => {
    world = await KycWorld.founded();
    certified = await world.certify({ claims: distinctiveClaims(), decoys: 3, level: 2 });
    world.ledger.advance(60);
  });

  async function refuse(options: PresentOptions, code: ErrorCode, detail?: RegExp, target = certified) {
    const { tx, registrationId } = await world.presentation(target, options);
    return assertRefused(
      world.ledger,
      tx,
      (ctx) => world.contract.VerifyPresentation(ctx, registrationId),
      code,
      detail,
    );
  }

  describe('accepts a valid presentation', () => {
    it('returns the verification with claim names only', async () => {
      const { tx, registrationId } = await world.presentation(certified);
      const result = JSON.parse(
        await world.ledger.submit(tx, (ctx) => world.contract.VerifyPresentation(ctx, registrationId)),
      );
      assert.deepEqual(result, {
        registrationId,
        verified: true,
        personId: certified.person.did,
        certifier: CERTIFIER_MSP,
        kind: 'identity',
        level: 2,
        recordVersion: 1,
        claims: ['birthdate', 'family_name', 'given_name', 'nationality'],
        validUntil: certified.record.validUntil,
        verifiedAt: iso(world.ledger.now),
        txId: tx.txId,
      });
    });

    it("writes a registration marker and a receipt to the bank's implicit collection only", async () => {
      const { tx, registrationId, presentation } = await world.presentation(certified);
      await world.ledger.submit(tx, (ctx) => world.contract.VerifyPresentation(ctx, registrationId));
      const collection = `_implicit_org_${BANK_MSP}`;
      assert.deepEqual(tx.privateWrites(), [
        {
          collection,
          key: tx.stub.createCompositeKey('kyc.registration', [registrationId]),
          value: {
            registrationId,
            consumedAt: iso(world.ledger.now),
            txId: tx.txId,
            certifier: CERTIFIER_MSP,
            level: 2,
          },
        },
        {
          collection,
          key: tx.stub.createCompositeKey('kyc.receipt', [certified.person.did, registrationId]),
          value: {
            registrationId,
            personId: certified.person.did,
            certifier: CERTIFIER_MSP,
            kind: 'identity',
            level: 2,
            recordVersion: 1,
            claims: ['birthdate', 'family_name', 'given_name', 'nationality'],
            consentId: decodeJws(presentation.consent, TYP.consent).id,
            verifiedAt: iso(world.ledger.now),
            txId: tx.txId,
          },
        },
      ]);
      assert.deepEqual(tx.putStates(), [], 'no public write');
      assert.equal(tx.stub.event, undefined, 'no event: events are public');
    });

    it('never writes or returns a claim value, salt or disclosure', async () => {
      const { tx, registrationId } = await world.presentation(certified);
      const result = await world.ledger.submit(tx, (ctx) => world.contract.VerifyPresentation(ctx, registrationId));
      const everything = `${tx.allWrittenText()}\n${result}`;
      for (const disclosure of certified.disclosures) {
        assert.ok(!everything.includes(disclosure.value), `value of ${disclosure.name} leaked`);
        assert.ok(!everything.includes(disclosure.salt), `salt of ${disclosure.name} leaked`);
        assert.ok(!everything.includes(disclosure.disclosure), `disclosure of ${disclosure.name} leaked`);
      }
    });

    it('accepts a selective disclosure that covers the required claims', async () => {
      const chosen = certified.disclosures.filter((d) => d.name === 'nationality' || d.name === 'birthdate');
      const result = await world.verify(certified, {
        disclosures: chosen.map((d) => d.disclosure).reverse(),
        presentation: { requiredClaims: ['nationality'] },
      });
      assert.deepEqual(result.claims, ['birthdate', 'nationality']);
    });

    it('lets two banks each consume their own registration with the same id', async () => {
      const registrationId = nonce();
      await world.verify(certified, { registrationId });
      await world.verify(certified, { registrationId, caller: CALLERS.otherBankVerifier });
    });

    it('accepts a renewed record at its new version', async () => {
      const requestJws = await certificationRequest(certified.person, {
        aud: CERTIFIER_MSP,
        kind: 'identity',
        at: world.ledger.now,
      });
      const digests = certified.record.digests as string[];
      await world.ledger.submit(world.ledger.tx({ caller: CALLERS.certifierOfficer }), (ctx) =>
        world.contract.Renew(
          ctx,
          certified.person.did,
          'identity',
          requestJws,
          JSON.stringify({
            schema: 'kyc.person.v1',
            level: 3,
            digests,
            validFrom: iso(world.ledger.now),
            validUntil: iso(world.ledger.now + DAY),
          }),
        ),
      );
      const result = await world.verify(certified, { presentation: { minLevel: 3 } });
      assert.equal(result.recordVersion, 2);
      assert.equal(result.level, 3);
    });
  });

  describe('refuses callers and peers', () => {
    it('a bank member without kyc.role=bank-verifier', () => refuse({ caller: CALLERS.bankClerk }, 'KYC_FORBIDDEN'));
    it('a certifier officer', () => refuse({ caller: CALLERS.certifierOfficer }, 'KYC_FORBIDDEN'));
    it('a certifier org member with the bank role', () =>
      refuse({ caller: CALLERS.certifierWithBankRole }, 'KYC_FORBIDDEN'));
    it("the bank's verifier on another organisation's peer", () =>
      refuse({ peerMsp: CERTIFIER_MSP }, 'KYC_FORBIDDEN', /own organisation's peers/));
    it("another bank's verifier on this bank's peer", () =>
      refuse({ caller: CALLERS.otherBankVerifier, peerMsp: BANK_MSP }, 'KYC_FORBIDDEN'));
  });

  describe('refuses malformed input', () => {
    it('a malformed registration id', async () => {
      for (const registrationId of ['short', 'has spaces in it, sixteen+', 'x'.repeat(65), '']) {
        await refuse({ registrationId }, 'KYC_INVALID_ARGUMENT');
      }
    });

    const fieldCases: [string, Readonly<Record<string, unknown>>][] = [
      ['an unknown field', { extra: 1 }],
      ['a malformed person id', { personId: 'did:key:zDnx' }],
      ['a malformed certifier', { certifier: 'not an msp' }],
      ['a malformed kind', { kind: 'Kind' }],
      ['a malformed nonce', { nonce: 'n' }],
      ['a consent that is not a string', { consent: 42 }],
      ['no disclosures', { disclosures: [] }],
      ['a disclosure that is not a string', { disclosures: [7] }],
      ['more than 32 disclosures', { disclosures: Array.from({ length: 33 }, () => 'abc') }],
      ['an overlong disclosure', { disclosures: ['a'.repeat(2049)] }],
      ['an empty trust list', { trustedCertifiers: [] }],
      ['a minLevel as a string', { minLevel: '2' }],
      ['a minLevel of 0', { minLevel: 0 }],
      ['malformed required claims', { requiredClaims: ['Given Name'] }],
      ['duplicate required claims', { requiredClaims: ['birthdate', 'birthdate'] }],
      ['no requested claims', { requestedClaims: [] }],
      ['malformed requested claims', { requestedClaims: ['Given Name'] }],
      ['a required claim that was not requested', { requestedClaims: ['given_name'], requiredClaims: ['birthdate'] }],
    ];
    for (const [title, presentation] of fieldCases) {
      it(title, () => refuse({ presentation }, 'KYC_INVALID_ARGUMENT'));
    }

    it('a missing field', async () => {
      const { tx, registrationId, presentation } = await world.presentation(certified);
      const rest: Record<string, unknown> = { ...presentation };
      delete rest.nonce;
      const bad = world.ledger.tx({
        caller: CALLERS.bankVerifier,
        transient: { presentation: JSON.stringify(rest) },
        txId: `${tx.txId}-bad`,
      });
      await assertRefused(
        world.ledger,
        bad,
        (ctx) => world.contract.VerifyPresentation(ctx, registrationId),
        'KYC_INVALID_ARGUMENT',
        /nonce/,
      );
    });

    const transientCases: [string, Readonly<Record<string, string | Uint8Array>>][] = [
      ['no transient presentation', {}],
      ['an empty one', { presentation: '' }],
      ['one that is not JSON', { presentation: '{' }],
      ['one that is not UTF-8', { presentation: Buffer.from([0x7b, 0xff, 0x7d]) }],
      ['one larger than 64 KiB', { presentation: JSON.stringify({ pad: 'x'.repeat(64 * 1024) }) }],
      ['a JSON array', { presentation: '[]' }],
    ];
    for (const [title, transient] of transientCases) {
      it(title, async () => {
        const tx = world.ledger.tx({ caller: CALLERS.bankVerifier, transient });
        await assertRefused(
          world.ledger,
          tx,
          (ctx) => world.contract.VerifyPresentation(ctx, nonce()),
          'KYC_INVALID_ARGUMENT',
        );
      });
    }

    it('a consent that is not a consent JWS (a certification request)', async () => {
      const request = certified.record.request as string;
      await refuse({ presentation: { consent: request } }, 'KYC_INVALID_ARGUMENT', /typ/);
    });
  });

  describe('refuses a consent that does not bind this presentation', () => {
    it('signed by another key', () => refuse({ consentSignedBy: newPerson() }, 'KYC_BAD_SIGNATURE'));

    const bindings: [string, Readonly<Record<string, unknown>>][] = [
      ['sub', { sub: newPerson().did }],
      ['aud', { aud: OTHER_BANK_MSP }],
      ['registration_id', { registration_id: nonce() }],
      ['nonce', { nonce: nonce() }],
      ['certifier', { certifier: OTHER_CERTIFIER_MSP }],
      ['kind', { kind: 'address' }],
    ];
    for (const [field, consentPayload] of bindings) {
      it(`another ${field}`, () => refuse({ consentPayload }, 'KYC_MISMATCH', new RegExp(`'${field}'`)));
    }

    it('a consent that does not cover the disclosures presented', async () => {
      const { tx, registrationId, presentation } = await world.presentation(certified);
      const fewer = { ...presentation, disclosures: presentation.disclosures.slice(1) };
      const bad = world.ledger.tx({ caller: CALLERS.bankVerifier, transient: { presentation: JSON.stringify(fewer) } });
      assert.notEqual(bad.txId, tx.txId);
      await assertRefused(
        world.ledger,
        bad,
        (ctx) => world.contract.VerifyPresentation(ctx, registrationId),
        'KYC_MISMATCH',
        /does not cover/,
      );
    });

    it('disclosures presented in another order than consented', async () => {
      const { registrationId, presentation } = await world.presentation(certified);
      const reordered = { ...presentation, disclosures: [...presentation.disclosures].reverse() };
      const bad = world.ledger.tx({
        caller: CALLERS.bankVerifier,
        transient: { presentation: JSON.stringify(reordered) },
      });
      await assertRefused(
        world.ledger,
        bad,
        (ctx) => world.contract.VerifyPresentation(ctx, registrationId),
        'KYC_MISMATCH',
      );
    });

    it('an expired consent', () => refuse({ consentAt: world.ledger.now - 3600 * 1000 }, 'KYC_EXPIRED'));
  });

  describe('refuses against the ledger', () => {
    it('a registration used before (even with a fresh consent)', async () => {
      const registrationId = nonce();
      await world.verify(certified, { registrationId });
      await refuse({ registrationId }, 'KYC_CONFLICT', /already been used/);
    });

    it('an attestation that does not exist', async () => {
      const other = await world.certify({ kind: 'address' });
      await refuse({}, 'KYC_NOT_FOUND', undefined, { ...other, kind: 'residence' });
    });

    it('an untrusted certifier', () =>
      refuse({ presentation: { trustedCertifiers: [OTHER_CERTIFIER_MSP] } }, 'KYC_UNTRUSTED'));

    it('a level below the minimum', () => refuse({ presentation: { minLevel: 3 } }, 'KYC_UNTRUSTED'));

    it('a revoked attestation', async () => {
      await world.ledger.submit(world.ledger.tx({ caller: CALLERS.certifierOfficer }), (ctx) =>
        world.contract.Revoke(ctx, certified.person.did, 'identity', 'data-changed'),
      );
      await refuse({}, 'KYC_REVOKED');
    });

    it('an expired attestation', async () => {
      const shortLived = await world.certify({ validUntil: world.ledger.now + DAY });
      world.ledger.advance(2 * 24 * 3600);
      await refuse({}, 'KYC_EXPIRED', /validity window/, shortLived);
    });

    it('an attestation not yet valid', async () => {
      const future = await world.certify({ validFrom: world.ledger.now + DAY });
      await refuse({}, 'KYC_EXPIRED', /validity window/, future);
    });
  });

  describe('refuses disclosures that do not open the record', () => {
    it('a disclosure the record does not commit to', async () => {
      const foreign = createDisclosure(nonce(), 'given_name', 'Somebody Else').disclosure;
      await refuse({ disclosures: [foreign] }, 'KYC_MISMATCH', /not committed/);
    });

    it('a string that is not a disclosure', async () => {
      await refuse({ disclosures: ['bm90IGEgZGlzY2xvc3VyZQ'] }, 'KYC_MISMATCH', /well-formed/);
    });

    it('the same claim disclosed twice', async () => {
      const first = certified.disclosures[0]!.disclosure;
      await refuse({ disclosures: [first, first] }, 'KYC_MISMATCH', /more than once/);
    });

    it('a required claim left out', async () => {
      const some = certified.disclosures.filter((d) => d.name !== 'birthdate').map((d) => d.disclosure);
      await refuse(
        { disclosures: some, presentation: { requiredClaims: ['birthdate'] } },
        'KYC_MISMATCH',
        /'birthdate' is not disclosed/,
      );
    });

    it('a claim the registration did not request (over-disclosure), and nothing is written', async () => {
      await refuse({ presentation: { requestedClaims: ['given_name'] } }, 'KYC_MISMATCH', /did not request/);
    });
  });
});
