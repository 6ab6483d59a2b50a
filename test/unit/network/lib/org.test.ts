import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../../support/network';

/**
 * Added organisations as network/lib/org.sh records them (orgs-added.json) and network/lib/topology.sh merges
 * them into the committed topology: ports in a block of 200 per organisation, servers of kyc and baseline,
 * its service; removing one frees its block. Runs the real scripts, with no network.
 */

const LIBS = ['common', 'lab', 'topology', 'hsm', 'ca', 'crypto', 'peer', 'orderer', 'channel', 'chaincode', 'org'];

/** Runs `commands` after sourcing the network libraries, with the instance's data in a temporary directory. */
function inScripts(commands: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'kyc-org-'));
  try {
    const script = [
      'set -euo pipefail',
      ...LIBS.map((lib) => `. network/lib/${lib}.sh`),
      `DATA_DIR=${dir} ADDED_ORGS_FILE=${dir}/orgs-added.json CONSENSUS=etcdraft PORT_OFFSET=1000`,
      'load_topology etcdraft 1000',
      ...commands,
    ].join('\n');
    const run = spawnSync('bash', ['-c', script], {
      cwd: repoRoot(),
      env: { ...process.env, KYC_INSTANCE: 'unit-org' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    return run.stdout.trimEnd().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('network/lib/org: organisations added to a running channel', () => {
  it('merges each added organisation into the topology, with a port block of its own', () => {
    const lines = inScripts([
      'write_added_org certifier2 Certifier2MSP certifier',
      'write_added_org bank2 Bank2MSP bank',
      'reload_topology',
      'printf "%s\\n" "${ORGS[*]}" "${APP_ORGS[*]}" "${ORG_MSP[bank2]} ${ORG_ROLE[bank2]}" "${ORG_USERS[bank2]}"',
      'printf "%s\\n" "${NODE_PORT[ca.certifier2]} ${NODE_PORT[peer0.certifier2]} ${CC_PORT[kyc/certifier2]}"',
      'printf "%s\\n" "${NODE_PORT[peer0.bank2]} ${CC_PORT[kyc/bank2]} ${SERVICE_PORT[bank2]} ${SERVICE_KIND[bank2]}"',
      'printf "%s\\n" "${CC_ORGS[kyc]}" "${CC_ORGS[tickets]}" "${NODE_ANCHOR[peer0.bank2]}" "${USER_ATTRS[bank2/verifier1]}"',
    ]);
    assert.deepEqual(lines, [
      'orderer certifier bank certifier2 bank2',
      'certifier bank certifier2 bank2',
      'Bank2MSP bank',
      'Admin verifier1',
      '12254 12251 12260', // slot 1: 11200 + offset 1000
      '12451 12460 12490 bank', // slot 2
      'certifier bank certifier2 bank2',
      'bank', // tickets stays with the founding bank
      'true',
      'kyc.role=bank-verifier:ecert',
    ]);
  });

  it('frees the block of a removed organisation for the next one, and keeps the others where they are', () => {
    const lines = inScripts([
      'write_added_org certifier2 Certifier2MSP certifier',
      'write_added_org bank2 Bank2MSP bank',
      'forget_added_org certifier2',
      'write_added_org bank3 Bank3MSP bank',
      'reload_topology',
      'printf "%s\\n" "${ORGS[*]}" "${NODE_PORT[peer0.bank2]} ${NODE_PORT[peer0.bank3]}" "${CC_SERVERS[*]}"',
    ]);
    assert.deepEqual(lines, [
      'orderer certifier bank bank2 bank3',
      '12451 12251',
      'cc-kyc.certifier cc-kyc.bank cc-kyc.bank2 cc-kyc.bank3 cc-tickets.bank cc-baseline.certifier cc-baseline.bank cc-baseline.bank2 cc-baseline.bank3',
    ]);
  });

  it('signs with the first majority of the organisations it is given', () => {
    assert.deepEqual(inScripts(['majority_of a b', 'majority_of a b c', 'majority_of a b c d']), [
      'a',
      'b',
      'a',
      'b',
      'a',
      'b',
      'c',
    ]);
  });
});
