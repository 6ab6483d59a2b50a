import '../quiet-logs';
import assert from 'node:assert/strict';
import type { Context } from 'fabric-contract-api';
import {
  BANK_MSP,
  CALLERS,
  CERTIFIER_MSP,
  OTHER_BANK_MSP,
  OTHER_CERTIFIER_MSP,
  OUTSIDER_MSP,
  assertRefused,
} from '../fakes';
import type { Caller } from '../fakes';
import { certificationRequest, commitment, decoyDigest, newPerson } from '../fixtures';
import { DAY, KycWorld, iso } from './world';

const TWO_ORGS = [
  { msp: CERTIFIER_MSP, role: 'certifier' },
  { msp: BANK_MSP, role: 'bank' },
] as const;
const THREE_ORGS = [...TWO_ORGS, { msp: OTHER_CERTIFIER_MSP, role: 'certifier' }] as const;

interface Proposal {
  readonly proposalId: string;
  readonly approvals: string[];
  readonly required: number;
  readonly applied: boolean;
  readonly appliedAt?: string;
}

interface Consortium {
  readonly members: { msp: string; role: string; status: string; since: string; proposalId?: string }[];
  readonly pending: Proposal[];
}

describe('kyc consortium: roles governed on the ledger', () => {
  async function consortium(world: KycWorld): Promise<Consortium> {
    const json = await world.ledger.evaluate(world.ledger.tx({ caller: CALLERS.outsider }), (ctx) =>
      world.contract.GetConsortium(ctx),
    );
    return JSON.parse(json) as Consortium;
  }

  function propose(world: KycWorld, caller: Caller, id: string, msp: string, role: string, status: string) {
    return world.submit(caller, (ctx) => world.contract.ProposeRoleChange(ctx, id, msp, role, status)) as Promise<
      Record<string, unknown> & Proposal
    >;
  }

  function approve(world: KycWorld, caller: Caller, id: string) {
    return world.submit(caller, (ctx) => world.contract.ApproveRoleChange(ctx, id)) as Promise<
      Record<string, unknown> & Proposal
    >;
  }

  /** Proposes a change by the first admin and has the others approve it until it applies. */
  async function change(world: KycWorld, admins: readonly Caller[], msp: string, role: string, status: string) {
    const [first, ...others] = admins;
    assert.ok(first !== undefined);
    const id = `change-${msp}-${status}-${world.ledger.now}`;
    let proposal = await propose(world, first, id, msp, role, status);
    for (const admin of others) {
      if (proposal.applied) break;
      proposal = await approve(world, admin, id);
    }
    assert.equal(proposal.applied, true, 'the change was not applied');
  }

  function refused(
    world: KycWorld,
    caller: Caller,
    body: (ctx: Context) => Promise<unknown>,
    code: Parameters<typeof assertRefused>[3],
    detail?: RegExp,
  ) {
    return assertRefused(world.ledger, world.ledger.tx({ caller }), body, code, detail);
  }

  describe('FoundConsortium', () => {
    it('records every founding member as active, sorted, and returns the consortium', async () => {
      const world = new KycWorld();
      const tx = world.ledger.tx({ caller: CALLERS.bankAdmin });
      const json = await world.ledger.submit(tx, (ctx) =>
        world.contract.FoundConsortium(ctx, JSON.stringify(TWO_ORGS)),
      );
      const since = iso(world.ledger.now);
      const expected = {
        members: [
          { msp: BANK_MSP, role: 'bank', status: 'active', since },
          { msp: CERTIFIER_MSP, role: 'certifier', status: 'active', since },
        ],
        pending: [],
      };
      assert.deepEqual(JSON.parse(json), expected);
      assert.deepEqual(await consortium(world), expected);
      assert.equal(
        json,
        await world.ledger.evaluate(world.ledger.tx({ caller: CALLERS.outsider }), (ctx) =>
          world.contract.GetConsortium(ctx),
        ),
      );
      // Governance keys carry no key-level policy: the chaincode-level MAJORITY policy governs them.
      assert.equal(world.ledger.validationParameters.size, 0);
      assert.deepEqual(
        tx.putStates().map((write) => write.key.split('\u0000')[1]),
        ['kyc.consortium.member', 'kyc.consortium.member'],
      );
    });

    it('only once', async () => {
      const world = await KycWorld.founded();
      await refused(
        world,
        CALLERS.certifierAdmin,
        (ctx) => world.contract.FoundConsortium(ctx, JSON.stringify(TWO_ORGS)),
        'KYC_CONFLICT',
        /^the consortium is already founded$/,
      );
    });

    it('only by an organisation admin, whose organisation it names', async () => {
      const world = new KycWorld();
      const members = JSON.stringify(TWO_ORGS);
      for (const caller of [CALLERS.certifierOfficer, CALLERS.certifierClient]) {
        await refused(
          world,
          caller,
          (ctx) => world.contract.FoundConsortium(ctx, members),
          'KYC_FORBIDDEN',
          /not an admin/,
        );
      }
      await refused(
        world,
        CALLERS.outsiderAdmin,
        (ctx) => world.contract.FoundConsortium(ctx, members),
        'KYC_FORBIDDEN',
        new RegExp(`organisation ${OUTSIDER_MSP} must be one of the founding members`),
      );
    });

    it('refuses a malformed member list', async () => {
      const world = new KycWorld();
      const cases = [
        'not json',
        '[]',
        '{"msp":"CertifierMSP","role":"certifier"}',
        '[{"msp":"CertifierMSP"}]',
        '[{"msp":"CertifierMSP","role":"auditor"}]',
        '[{"msp":"bad msp","role":"certifier"}]',
        '[{"msp":"CertifierMSP","role":"certifier","status":"active"}]',
        '[{"msp":"CertifierMSP","role":"certifier"},{"msp":"CertifierMSP","role":"bank"}]',
        JSON.stringify(Array.from({ length: 33 }, (_, i) => ({ msp: `Org${i}MSP`, role: 'bank' }))),
      ];
      for (const members of cases) {
        await refused(
          world,
          CALLERS.certifierAdmin,
          (ctx) => world.contract.FoundConsortium(ctx, members),
          'KYC_INVALID_ARGUMENT',
        );
      }
    });
  });

  describe('ProposeRoleChange and ApproveRoleChange', () => {
    it('two organisations: one approval is not enough, two of two apply the change', async () => {
      const world = await KycWorld.founded(TWO_ORGS);
      const proposed = await propose(world, CALLERS.certifierAdmin, 'add-other-bank', OTHER_BANK_MSP, 'bank', 'active');
      assert.deepEqual(proposed, {
        proposalId: 'add-other-bank',
        msp: OTHER_BANK_MSP,
        role: 'bank',
        status: 'active',
        proposedBy: CERTIFIER_MSP,
        approvals: [CERTIFIER_MSP],
        required: 2,
        applied: false,
      });
      assert.deepEqual((await consortium(world)).pending, [proposed]);
      world.ledger.advance(60);
      const approved = await approve(world, CALLERS.bankAdmin, 'add-other-bank');
      const appliedAt = iso(world.ledger.now);
      assert.deepEqual(approved, { ...proposed, approvals: [BANK_MSP, CERTIFIER_MSP], applied: true, appliedAt });
      const after = await consortium(world);
      assert.deepEqual(after.pending, []);
      assert.deepEqual(after.members[2], {
        msp: OTHER_BANK_MSP,
        role: 'bank',
        status: 'active',
        since: appliedAt,
        proposalId: 'add-other-bank',
      });
      assert.equal(world.ledger.validationParameters.size, 0);
    });

    it('three organisations: two of three apply the change', async () => {
      const world = await KycWorld.founded(THREE_ORGS);
      const proposed = await propose(
        world,
        CALLERS.bankAdmin,
        'suspend-other',
        OTHER_CERTIFIER_MSP,
        'certifier',
        'suspended',
      );
      assert.equal(proposed.required, 2);
      assert.equal(proposed.applied, false);
      const approved = await approve(world, CALLERS.certifierAdmin, 'suspend-other');
      assert.equal(approved.applied, true);
      const member = (await consortium(world)).members.find((m) => m.msp === OTHER_CERTIFIER_MSP);
      assert.equal(member?.status, 'suspended');
    });

    it('a consortium of one applies its own proposal at once', async () => {
      const world = await KycWorld.founded([{ msp: CERTIFIER_MSP, role: 'certifier' }]);
      const proposed = await propose(world, CALLERS.certifierAdmin, 'add-bank', BANK_MSP, 'bank', 'active');
      assert.equal(proposed.required, 1);
      assert.equal(proposed.applied, true);
      assert.equal(proposed.appliedAt, iso(world.ledger.now));
      assert.equal((await consortium(world)).members.length, 2);
    });

    it('refuses callers who are not admins of an active member organisation', async () => {
      const world = await KycWorld.founded(THREE_ORGS);
      const proposeBy = (caller: Caller, code: 'KYC_FORBIDDEN', detail: RegExp) =>
        refused(
          world,
          caller,
          (ctx) => world.contract.ProposeRoleChange(ctx, 'p1', OTHER_BANK_MSP, 'bank', 'active'),
          code,
          detail,
        );
      await proposeBy(CALLERS.certifierOfficer, 'KYC_FORBIDDEN', /not an admin/);
      await proposeBy(CALLERS.certifierClient, 'KYC_FORBIDDEN', /not an admin/);
      await proposeBy(CALLERS.outsiderAdmin, 'KYC_FORBIDDEN', /OutsiderMSP is not an active member/);
      await propose(world, CALLERS.certifierAdmin, 'p1', OTHER_BANK_MSP, 'bank', 'active');
      for (const caller of [CALLERS.bankVerifier, CALLERS.outsiderAdmin]) {
        await refused(world, caller, (ctx) => world.contract.ApproveRoleChange(ctx, 'p1'), 'KYC_FORBIDDEN');
      }
    });

    it('a suspended member can neither propose nor approve, and its earlier approval stops counting', async () => {
      const world = await KycWorld.founded(THREE_ORGS);
      // OtherCertifierMSP proposes adding a bank, then is suspended by the two others.
      await propose(world, CALLERS.otherCertifierAdmin, 'add-other-bank', OTHER_BANK_MSP, 'bank', 'active');
      await change(world, [CALLERS.certifierAdmin, CALLERS.bankAdmin], OTHER_CERTIFIER_MSP, 'certifier', 'suspended');
      await refused(
        world,
        CALLERS.otherCertifierAdmin,
        (ctx) => world.contract.ProposeRoleChange(ctx, 'p2', OTHER_BANK_MSP, 'bank', 'active'),
        'KYC_FORBIDDEN',
        /OtherCertifierMSP is not an active member/,
      );
      // Two voters remain (required 2): the suspended proposer's approval does not count.
      const pending = (await consortium(world)).pending;
      assert.deepEqual(
        pending.map((p) => [p.proposalId, p.required]),
        [['add-other-bank', 2]],
      );
      const once = await approve(world, CALLERS.certifierAdmin, 'add-other-bank');
      assert.deepEqual([once.approvals, once.required, once.applied], [[CERTIFIER_MSP, OTHER_CERTIFIER_MSP], 2, false]);
      const twice = await approve(world, CALLERS.bankAdmin, 'add-other-bank');
      assert.equal(twice.applied, true);
    });

    it('refuses a double approval, an applied or unknown proposal, a taken id and a change that changes nothing', async () => {
      const world = await KycWorld.founded(THREE_ORGS);
      await propose(world, CALLERS.certifierAdmin, 'p1', OTHER_BANK_MSP, 'bank', 'active');
      await refused(
        world,
        CALLERS.certifierAdmin,
        (ctx) => world.contract.ApproveRoleChange(ctx, 'p1'),
        'KYC_CONFLICT',
        /already approved by CertifierMSP/,
      );
      await refused(
        world,
        CALLERS.bankAdmin,
        (ctx) => world.contract.ProposeRoleChange(ctx, 'p1', BANK_MSP, 'bank', 'suspended'),
        'KYC_CONFLICT',
        /proposal p1 exists/,
      );
      await approve(world, CALLERS.bankAdmin, 'p1');
      await refused(
        world,
        CALLERS.otherCertifierAdmin,
        (ctx) => world.contract.ApproveRoleChange(ctx, 'p1'),
        'KYC_CONFLICT',
        /already applied/,
      );
      await refused(world, CALLERS.bankAdmin, (ctx) => world.contract.ApproveRoleChange(ctx, 'nope'), 'KYC_NOT_FOUND');
      await refused(
        world,
        CALLERS.bankAdmin,
        (ctx) => world.contract.ProposeRoleChange(ctx, 'p2', BANK_MSP, 'bank', 'active'),
        'KYC_CONFLICT',
        /already holds the bank role with status active/,
      );
    });

    it('refuses a change that would leave no active member', async () => {
      const world = await KycWorld.founded([{ msp: CERTIFIER_MSP, role: 'certifier' }]);
      await refused(
        world,
        CALLERS.certifierAdmin,
        (ctx) => world.contract.ProposeRoleChange(ctx, 'leave', CERTIFIER_MSP, 'certifier', 'removed'),
        'KYC_CONFLICT',
        /without an active member/,
      );
    });

    it('refuses malformed arguments', async () => {
      const world = await KycWorld.founded(TWO_ORGS);
      const cases: [string, string, string, string][] = [
        ['', BANK_MSP, 'bank', 'active'],
        ['x'.repeat(65), BANK_MSP, 'bank', 'active'],
        ['bad id', BANK_MSP, 'bank', 'active'],
        ['p1', 'bad msp', 'bank', 'active'],
        ['p1', BANK_MSP, 'auditor', 'active'],
        ['p1', BANK_MSP, 'bank', 'paused'],
      ];
      for (const [id, msp, role, status] of cases) {
        await refused(
          world,
          CALLERS.certifierAdmin,
          (ctx) => world.contract.ProposeRoleChange(ctx, id, msp, role, status),
          'KYC_INVALID_ARGUMENT',
        );
      }
      await refused(
        world,
        CALLERS.certifierAdmin,
        (ctx) => world.contract.ApproveRoleChange(ctx, 'bad id'),
        'KYC_INVALID_ARGUMENT',
      );
    });
  });

  describe('roles come from the ledger', () => {
    async function certifyAs(world: KycWorld, caller: Caller) {
      const person = newPerson();
      const request = await certificationRequest(person, { aud: caller.mspId, kind: 'identity', at: world.ledger.now });
      const window = { validFrom: iso(world.ledger.now - DAY), validUntil: iso(world.ledger.now + DAY) };
      return (ctx: Context) =>
        world.contract.Certify(ctx, person.did, request, commitment({ digests: [decoyDigest()], ...window }));
    }

    it('refuses Certify by an organisation that is not a certifier member', async () => {
      const world = await KycWorld.founded(TWO_ORGS);
      await refused(
        world,
        CALLERS.otherCertifierOfficer,
        await certifyAs(world, CALLERS.otherCertifierOfficer),
        'KYC_FORBIDDEN',
        /OtherCertifierMSP does not hold the certifier role/,
      );
    });

    it('admits a certifier once a majority adds it, and refuses it while suspended or removed', async () => {
      const world = await KycWorld.founded(TWO_ORGS);
      const admins = [CALLERS.certifierAdmin, CALLERS.bankAdmin];
      await change(world, admins, OTHER_CERTIFIER_MSP, 'certifier', 'active');
      await world.certify({ caller: CALLERS.otherCertifierOfficer });
      world.ledger.advance(1);
      await change(world, admins, OTHER_CERTIFIER_MSP, 'certifier', 'suspended');
      await refused(
        world,
        CALLERS.otherCertifierOfficer,
        await certifyAs(world, CALLERS.otherCertifierOfficer),
        'KYC_FORBIDDEN',
        /OtherCertifierMSP is suspended/,
      );
      world.ledger.advance(1);
      await change(world, admins, OTHER_CERTIFIER_MSP, 'certifier', 'removed');
      await refused(
        world,
        CALLERS.otherCertifierOfficer,
        await certifyAs(world, CALLERS.otherCertifierOfficer),
        'KYC_FORBIDDEN',
        /does not hold the certifier role/,
      );
    });

    it('refuses a suspended bank its bank transactions', async () => {
      const world = await KycWorld.founded();
      const admins = [CALLERS.certifierAdmin, CALLERS.otherCertifierAdmin, CALLERS.otherBankAdmin];
      await change(world, admins, BANK_MSP, 'bank', 'suspended');
      await assertRefused(
        world.ledger,
        world.bankTx(),
        (ctx) => world.contract.GetUsage(ctx, '', ''),
        'KYC_FORBIDDEN',
        /BankMSP is suspended/,
      );
    });

    it('fails closed with KYC_INTERNAL on a member record this code did not write', async () => {
      const world = await KycWorld.founded();
      const key = world.ledger
        .tx({ caller: CALLERS.outsider })
        .stub.createCompositeKey('kyc.consortium.member', [BANK_MSP]);
      world.ledger.state.set(key, Buffer.from('{"msp":"BankMSP","role":"bank","status":"active"}'));
      await assertRefused(world.ledger, world.bankTx(), (ctx) => world.contract.GetUsage(ctx, '', ''), 'KYC_INTERNAL');
    });

    it('reads only the caller’s member record to decide its role', async () => {
      const world = await KycWorld.founded();
      const tx = world.bankTx();
      const reads: string[] = [];
      const getState = tx.stub.getState.bind(tx.stub);
      tx.stub.getState = (key: string) => {
        reads.push(key);
        return getState(key);
      };
      await world.ledger.evaluate(tx, (ctx) => world.contract.GetUsage(ctx, '', ''));
      assert.deepEqual(reads, [tx.stub.createCompositeKey('kyc.consortium.member', [BANK_MSP])]);
    });
  });

  describe('a suspended certifier’s records stop counting', () => {
    async function isVerified(
      world: KycWorld,
      personId: string,
      trusted: readonly string[] = [CERTIFIER_MSP, OTHER_CERTIFIER_MSP],
    ) {
      const tx = world.ledger.tx({ caller: CALLERS.outsider, peerMsp: BANK_MSP });
      const reads: string[] = [];
      const getState = tx.stub.getState.bind(tx.stub);
      tx.stub.getState = (key: string) => {
        reads.push(key.split('\u0000').slice(1, -1).join('/'));
        return getState(key);
      };
      const json = await world.ledger.evaluate(tx, (ctx) =>
        world.contract.IsVerified(ctx, personId, '2', JSON.stringify(trusted)),
      );
      return { answer: JSON.parse(json) as Record<string, unknown>, reads };
    }

    const othersThanCertifier = [CALLERS.otherCertifierAdmin, CALLERS.bankAdmin, CALLERS.otherBankAdmin];

    it('IsVerified: verified:false with reason certifier-suspended, and verified again once reinstated', async () => {
      const world = await KycWorld.founded();
      const certified = await world.certify();
      assert.equal((await isVerified(world, certified.person.did)).answer.verified, true);
      await change(world, othersThanCertifier, CERTIFIER_MSP, 'certifier', 'suspended');
      const { answer, reads } = await isVerified(world, certified.person.did);
      assert.deepEqual(answer, { personId: certified.person.did, verified: false, reason: 'certifier-suspended' });
      // Only the member the records name is read, not the member list.
      assert.deepEqual(reads, [`kyc.consortium.member/${CERTIFIER_MSP}`]);
      world.ledger.advance(1);
      await change(world, othersThanCertifier, CERTIFIER_MSP, 'certifier', 'active');
      assert.equal((await isVerified(world, certified.person.did)).answer.verified, true);
    });

    it('IsVerified: ranks certifier-suspended after untrusted-certifier and before level-too-low', async () => {
      const world = await KycWorld.founded();
      const person = newPerson();
      await world.certify({ caller: CALLERS.certifierOfficer, level: 3 }, person);
      await world.certify({ caller: CALLERS.otherCertifierOfficer, level: 1 }, person);
      assert.equal((await isVerified(world, person.did, [CERTIFIER_MSP])).answer.verified, true);
      await change(world, othersThanCertifier, CERTIFIER_MSP, 'certifier', 'suspended');
      // OtherCertifierMSP's record is untrusted, CertifierMSP's suspended: the suspension is the closer miss.
      const onlyFirst = await isVerified(world, person.did, [CERTIFIER_MSP]);
      assert.equal(onlyFirst.answer.reason, 'certifier-suspended');
      // Only trusted certifiers' member records are read.
      assert.deepEqual(onlyFirst.reads, [`kyc.consortium.member/${CERTIFIER_MSP}`]);
      // The active certifier's level-1 record gets further than the suspended one's level-3 record.
      const both = await isVerified(world, person.did);
      assert.equal(both.answer.reason, 'level-too-low');
      assert.deepEqual(
        both.reads,
        [CERTIFIER_MSP, OTHER_CERTIFIER_MSP].map((msp) => `kyc.consortium.member/${msp}`),
      );
    });

    it('VerifyPresentation: KYC_UNTRUSTED "certifier … is suspended", nothing written', async () => {
      const world = await KycWorld.founded();
      const certified = await world.certify();
      await change(world, othersThanCertifier, CERTIFIER_MSP, 'certifier', 'removed');
      const { tx, registrationId } = await world.presentation(certified);
      await assertRefused(
        world.ledger,
        tx,
        (ctx) => world.contract.VerifyPresentation(ctx, registrationId),
        'KYC_UNTRUSTED',
        /^certifier CertifierMSP is suspended$/,
      );
    });
  });
});
