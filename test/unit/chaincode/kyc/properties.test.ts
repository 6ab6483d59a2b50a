import '../quiet-logs';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Context } from 'fabric-contract-api';
import { CALLERS, CERTIFIER_MSP, assertCodedError, assertNothingWritten } from '../fakes';
import type { Caller } from '../fakes';
import { certificationRequest, commitment, decoyDigest } from '../fixtures';
import { DAY, KycWorld, iso } from './world';
import type { Certified } from './world';

/**
 * Property: whatever malformed input a write transaction receives, it fails with a coded KycError and
 * writes nothing (no state, no private data, no validation parameter, no purge, no event).
 */

/** JSON values of a type no field of any input accepts. */
const wrongType = fc.oneof(
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }),
);

/** `text` with the character at `index` replaced by a different one. */
function mutate(text: string, index: number, replacement: string): string {
  const at = index % text.length;
  const original = text[at];
  const next = replacement === original ? (original === 'A' ? 'B' : 'A') : replacement;
  return `${text.slice(0, at)}${next}${text.slice(at + 1)}`;
}

const mutation = (text: string): fc.Arbitrary<string> =>
  fc
    .tuple(fc.nat(), fc.constantFrom('A', 'z', '0', '-', '_', '.', '~', ' ', '"', '\u0000', 'é'))
    .map(([index, replacement]) => mutate(text, index, replacement));

/** A JSON object text with one field replaced by a wrong-typed value, or one unknown field added. */
function brokenObject(valid: Readonly<Record<string, unknown>>): fc.Arbitrary<string> {
  const keys = Object.keys(valid);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...keys), wrongType).map(([key, value]) => JSON.stringify({ ...valid, [key]: value })),
    fc
      .tuple(
        fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !keys.includes(key)),
        fc.jsonValue(),
      )
      .map(([key, value]) => JSON.stringify({ ...valid, [key]: value })),
    fc.constantFrom(...keys).map((key) => JSON.stringify({ ...valid, [key]: undefined })),
  );
}

/** Arbitrary text, JSON, or a one-character mutation of a valid value. */
function malformed(valid: string): fc.Arbitrary<string> {
  return fc.oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 2 }), mutation(valid));
}

async function refusesCleanly(
  world: KycWorld,
  caller: Caller,
  body: (ctx: Context) => Promise<unknown>,
  transient?: Readonly<Record<string, string>>,
): Promise<void> {
  const before = world.ledger.snapshot();
  const tx = world.ledger.tx({ caller, transient });
  let failed = false;
  try {
    await world.ledger.submit(tx, body);
  } catch (error) {
    failed = true;
    assertCodedError(error);
  }
  assert.ok(failed, 'a malformed input was accepted');
  assertNothingWritten(tx, world.ledger, before);
}

describe('kyc write transactions under random malformed input', function () {
  this.timeout(120_000);
  let world: KycWorld;
  let certified: Certified;
  let validRequest: string;
  let validCommitment: Record<string, unknown>;

  before(async () => {
    world = await KycWorld.founded();
    certified = await world.certify();
    validRequest = await certificationRequest(certified.person, {
      aud: CERTIFIER_MSP,
      kind: 'address',
      at: world.ledger.now,
    });
    validCommitment = JSON.parse(
      commitment({
        digests: [decoyDigest()],
        validFrom: iso(world.ledger.now),
        validUntil: iso(world.ledger.now + DAY),
      }),
    );
  });

  it('Certify', async () => {
    const person = certified.person.did;
    const goodCommitment = JSON.stringify(validCommitment);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          malformed(person).map((p) => [p, validRequest, goodCommitment] as const),
          malformed(validRequest).map((r) => [person, r, goodCommitment] as const),
          // Not a character mutation: changing one character of a digest can leave a valid commitment.
          fc
            .oneof(fc.string({ maxLength: 300 }), fc.json({ maxDepth: 2 }), brokenObject(validCommitment))
            .map((c) => [person, validRequest, c] as const),
        ),
        async ([personId, requestJws, commitmentJson]) => {
          await refusesCleanly(world, CALLERS.certifierOfficer, (ctx) =>
            world.contract.Certify(ctx, personId, requestJws, commitmentJson),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Renew', async () => {
    const person = certified.person.did;
    const renewal = await certificationRequest(certified.person, {
      aud: CERTIFIER_MSP,
      kind: 'identity',
      at: world.ledger.now,
    });
    const goodCommitment = JSON.stringify(validCommitment);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          malformed(person).map((p) => [p, 'identity', renewal, goodCommitment] as const),
          malformed('identity').map((k) => [person, k, renewal, goodCommitment] as const),
          malformed(renewal).map((r) => [person, 'identity', r, goodCommitment] as const),
          brokenObject(validCommitment).map((c) => [person, 'identity', renewal, c] as const),
        ),
        async ([personId, kind, requestJws, commitmentJson]) => {
          await refusesCleanly(world, CALLERS.certifierOfficer, (ctx) =>
            world.contract.Renew(ctx, personId, kind, requestJws, commitmentJson),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('Revoke', async () => {
    const person = certified.person.did;
    const reasons = ['data-changed', 'fraud-suspected', 'person-request', 'certifier-error', 'other'];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          malformed(person).map((p) => [p, 'identity', 'other'] as const),
          malformed('identity').map((k) => [person, k, 'other'] as const),
          fc
            .oneof(fc.string({ maxLength: 40 }), mutation('fraud-suspected'))
            .filter((r) => !reasons.includes(r))
            .map((r) => [person, 'identity', r] as const),
        ),
        async ([personId, kind, reason]) => {
          await refusesCleanly(world, CALLERS.certifierOfficer, (ctx) =>
            world.contract.Revoke(ctx, personId, kind, reason),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('VerifyPresentation', async () => {
    const { registrationId, presentation } = await world.presentation(certified);
    const valid = presentation as unknown as Record<string, unknown>;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          malformed(registrationId).map((id) => [id, JSON.stringify(valid)] as const),
          fc.oneof(fc.json({ maxDepth: 3 }), fc.string({ maxLength: 300 })).map((t) => [registrationId, t] as const),
          brokenObject(valid).map((t) => [registrationId, t] as const),
          fc
            .tuple(
              fc.constantFrom('personId', 'certifier', 'kind', 'nonce', 'consent'),
              fc.nat(),
              fc.string({ maxLength: 1 }),
            )
            .map(([key, index, replacement]) => {
              const text = String(valid[key]);
              return [
                registrationId,
                JSON.stringify({ ...valid, [key]: mutate(text, index, replacement || 'A') }),
              ] as const;
            }),
          fc.tuple(fc.nat(), fc.nat(), fc.constantFrom('A', 'x', '-')).map(([which, index, replacement]) => {
            const disclosures = [...(valid.disclosures as string[])];
            const at = which % disclosures.length;
            disclosures[at] = mutate(disclosures[at] ?? '', index, replacement);
            return [registrationId, JSON.stringify({ ...valid, disclosures })] as const;
          }),
        ),
        async ([id, transient]) => {
          await refusesCleanly(world, CALLERS.bankVerifier, (ctx) => world.contract.VerifyPresentation(ctx, id), {
            presentation: transient,
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('EraseReceipts', async () => {
    await world.verify(certified);
    await fc.assert(
      fc.asyncProperty(malformed(certified.person.did), async (personId) => {
        fc.pre(personId !== certified.person.did);
        const before = world.ledger.snapshot();
        const tx = world.ledger.tx({ caller: CALLERS.bankVerifier });
        try {
          await world.ledger.submit(tx, (ctx) =>
            world.contract.EraseReceipts(ctx, personId, JSON.stringify([certified.person.did.slice(-22)])),
          );
          // A well-formed id of somebody else has no receipts: nothing to erase, nothing written.
          assert.ok(personId.startsWith('did:key:zDn'), 'a malformed id was accepted');
        } catch (error) {
          assertCodedError(error);
        }
        assertNothingWritten(tx, world.ledger, before);
      }),
      { numRuns: 300 },
    );
  });

  it('every transaction refuses arguments of any shape from a caller without a role', async () => {
    const outsider = CALLERS.outsider;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 80 }), { minLength: 4, maxLength: 4 }), async ([a, b, c, d]) => {
        const w = world;
        const args = [a ?? '', b ?? '', c ?? '', d ?? ''] as const;
        await refusesCleanly(w, outsider, (ctx) => w.contract.Certify(ctx, args[0], args[1], args[2]));
        await refusesCleanly(w, outsider, (ctx) => w.contract.Renew(ctx, ...args));
        await refusesCleanly(w, outsider, (ctx) => w.contract.Revoke(ctx, args[0], args[1], args[2]));
        await refusesCleanly(w, outsider, (ctx) => w.contract.VerifyPresentation(ctx, args[0]), {
          presentation: args[3],
        });
        await refusesCleanly(w, outsider, (ctx) => w.contract.EraseReceipts(ctx, args[0], args[1]));
      }),
      { numRuns: 100 },
    );
  });
});
