import assert from 'node:assert/strict';
import fc from 'fast-check';
import { KYC_TRANSACTIONS } from '../../protocol/src';
import { toKycError } from '../../gateway/src/errors';
import { connectAs, type TestConnection } from '../support/fabric';
import { hostileArgument } from '../support/hostile';
import { networkJsonPath, runNetworkScript, suiteInstance } from '../support/network';

/**
 * Hostile calls to the kyc chaincode on the real network (issue #14): generated arguments for every
 * transaction, as a certification officer and as a bank verifier, evaluated or submitted as the ledger API
 * says. Pass: every refusal reaches the client with a documented code other than KYC_INTERNAL (the gateway
 * maps the chaincode's coded messages, and fabric-shim's argument-count message, to their codes), no
 * submission succeeds, and the channel's height is the same afterwards (nothing was ordered). KYC_FUZZ_CALLS
 * sets the count (CI: 1000, about 12 s; the soak: 10000); KYC_FUZZ_SEED replays a run.
 */

const CALLS = Number(process.env.KYC_FUZZ_CALLS ?? 1000);
const SEED = Number(process.env.KYC_FUZZ_SEED ?? Date.now() % 2_147_483_647);

async function channelHeight(): Promise<number> {
  const status = await runNetworkScript(['status'], { env: { KYC_INSTANCE: suiteInstance() } });
  const height = /peers agree: height (\d+)/.exec(status.output)?.[1];
  assert.ok(height !== undefined, status.output);
  return Number(height);
}

describe('integration: hostile calls to the kyc chaincode on the real network (fuzzing)', function () {
  this.timeout(600_000);
  let officer: TestConnection;
  let verifier: TestConnection;

  before(async () => {
    officer = await connectAs(networkJsonPath(), 'CertifierMSP', 'officer1');
    verifier = await connectAs(networkJsonPath(), 'BankMSP', 'verifier1');
  });

  after(async () => {
    await officer.close();
    await verifier.close();
  });

  it(`refuses ${CALLS} hostile calls with documented codes and orders nothing (seed ${SEED})`, async () => {
    const names = Object.keys(KYC_TRANSACTIONS) as (keyof typeof KYC_TRANSACTIONS)[];
    const cases = fc.sample(
      fc.record({
        name: fc.constantFrom(...names),
        args: fc.array(hostileArgument, { maxLength: 5 }),
        asVerifier: fc.boolean(),
      }),
      { numRuns: CALLS, seed: SEED },
    );
    const heightBefore = await channelHeight();
    const failures: string[] = [];
    const codes = new Map<string, number>();
    for (const c of cases) {
      const spec = KYC_TRANSACTIONS[c.name];
      const contract = (c.asVerifier ? verifier : officer).contract('kyc');
      try {
        if (spec.kind === 'submit') {
          await contract.submitTransaction(c.name, ...c.args);
          failures.push(`${c.name}(${JSON.stringify(c.args).slice(0, 100)}) was committed`);
        } else {
          await contract.evaluateTransaction(c.name, ...c.args);
          codes.set('ok', (codes.get('ok') ?? 0) + 1);
        }
      } catch (err) {
        const { code } = toKycError(err);
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (code === 'KYC_INTERNAL') failures.push(`${c.name} → KYC_INTERNAL (${String(err).slice(0, 160)})`);
      }
    }
    console.log(
      `    answers: ${[...codes]
        .sort()
        .map(([code, n]) => `${code} ${n}`)
        .join(', ')}`,
    );
    assert.deepEqual(failures.slice(0, 10), [], `seed ${SEED}`);
    assert.equal(await channelHeight(), heightBefore, 'nothing was ordered');
  });
});
