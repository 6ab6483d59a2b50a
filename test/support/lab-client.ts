/**
 * The ledger client of the namespaced-topology test (test/integration/namespaces.test.ts), run inside the
 * lab's client namespace (`ip netns exec kl-ops node dist/test/support/lab-client.js …`): the test process
 * itself stays on the host and never connects to a lab address.
 *
 *   burst <network.json> <seconds> <per second> <out.json>   CertifierOrg certifies fresh people at a bounded
 *                                                           rate; every outcome with its time goes to out.json
 *   check <network.json> <in.json>                         every acknowledged person is verified, read on
 *                                                           BankOrg's peer; prints { checked, missing }
 */
import { readFileSync, writeFileSync } from 'node:fs';
import {
  certificationRequest,
  commitmentFor,
  newPerson,
  salt,
  uniqueClaims,
} from '../../protocol/testing/simulated-person';
import { connectAs } from './fabric';

/** One certification of the burst: acknowledged (committed, as the client was told) or failed. */
export interface BurstOutcome {
  readonly personId: string;
  readonly startedAt: number;
  readonly endedAt: number;
  readonly acknowledged: boolean;
  readonly error?: string;
}

const MAX_SECONDS = 120;
const MAX_RATE = 20;
const IN_FLIGHT = 4;

async function burst(networkJson: string, seconds: number, rate: number, out: string): Promise<void> {
  if (!(seconds > 0 && seconds <= MAX_SECONDS && rate > 0 && rate <= MAX_RATE)) {
    throw new Error(`burst is bounded: 0 < seconds <= ${MAX_SECONDS}, 0 < rate <= ${MAX_RATE}`);
  }
  const officer = await connectAs(networkJson, 'CertifierMSP', 'officer1');
  const outcomes: BurstOutcome[] = [];
  const total = Math.floor(seconds * rate);
  const t0 = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) {
      const index = next++;
      const due = t0 + (index * 1000) / rate;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const person = newPerson();
      const claims = uniqueClaims();
      const request = await certificationRequest(person, { aud: 'CertifierMSP', claims, claimsSalt: salt() });
      const { commitment } = commitmentFor(claims, { level: 1 });
      const startedAt = Date.now();
      try {
        await officer.contract('kyc').submitTransaction('Certify', person.id, request, commitment);
        outcomes.push({ personId: person.id, startedAt, endedAt: Date.now(), acknowledged: true });
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        outcomes.push({ personId: person.id, startedAt, endedAt: Date.now(), acknowledged: false, error });
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  } finally {
    await officer.close();
  }
  writeFileSync(out, JSON.stringify(outcomes));
}

async function check(networkJson: string, input: string): Promise<void> {
  const outcomes = JSON.parse(readFileSync(input, 'utf8')) as BurstOutcome[];
  const bank = await connectAs(networkJson, 'BankMSP', 'verifier1');
  const missing: string[] = [];
  let checked = 0;
  try {
    for (const outcome of outcomes.filter((o) => o.acknowledged)) {
      const answer = await bank
        .contract('kyc')
        .evaluateTransaction('IsVerified', outcome.personId, '1', JSON.stringify(['CertifierMSP']));
      const verdict = JSON.parse(Buffer.from(answer).toString()) as { verified: boolean };
      checked += 1;
      if (!verdict.verified) missing.push(outcome.personId);
    }
  } finally {
    await bank.close();
  }
  process.stdout.write(`${JSON.stringify({ checked, missing })}\n`);
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, networkJson, ...rest] = argv;
  if (command === 'burst' && networkJson !== undefined && rest.length === 3) {
    await burst(networkJson, Number(rest[0]), Number(rest[1]), rest[2]!);
  } else if (command === 'check' && networkJson !== undefined && rest.length === 1) {
    await check(networkJson, rest[0]!);
  } else {
    throw new Error(
      'usage: lab-client burst <network.json> <seconds> <per second> <out.json> | check <network.json> <in.json>',
    );
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`lab-client: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
