import assert from 'node:assert/strict';
import { FAULT_KINDS, failures, formatReport, runChaos, type ChaosReport } from '../../bench/chaos';
import { ensureServices, type RunningServices } from '../support/services';

/**
 * The fault suite on the Raft network (issue #14; bench/chaos.ts): mixed traffic through the services while
 * the Raft leader, a follower, the bank's peer, the bank's chaincode server and both services are SIGKILLed and
 * restarted, one after another. Pass: every request committed once and answered success, or answered an error
 * and absent; none lost, unacknowledged, duplicated or left unknown; every fault healed; the peers agree on
 * height and hash. The SmartBFT run is in network-lifecycle.test.ts. KYC_CHAOS_SECONDS and KYC_CHAOS_RATE
 * scale it (CI: 60 s at 8 operations per second, about 480 operations; a soak: `./kyc chaos --seconds 900`).
 */

const SECONDS = Number(process.env.KYC_CHAOS_SECONDS ?? 60);
const RATE = Number(process.env.KYC_CHAOS_RATE ?? 8);

describe('faults under load: every request committed exactly once or refused (Raft)', function () {
  let services: RunningServices;
  let report: ChaosReport;

  before(function () {
    services = ensureServices();
  });
  after(function () {
    services.release();
  });

  it('survives SIGKILL of the Raft leader, a follower, the bank peer, its chaincode server and both services', async function () {
    this.timeout((SECONDS + 420) * 1000);
    report = await runChaos({
      seconds: SECONDS,
      rate: RATE,
      downSeconds: 5,
      faults: FAULT_KINDS,
      log: (line) => process.stderr.write(`      ${line}\n`),
    });
    process.stderr.write(`${formatReport(report)}\n`);
    assert.deepEqual(failures(report), []);
    assert.equal(report.faults.length, FAULT_KINDS.length);
    assert.ok(report.committed > 0, 'requests were committed during the faults');
    assert.equal(report.readsFailed, 0);
  });
});
