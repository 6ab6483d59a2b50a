'use strict';
// Caliper workload: the trivial put of the `baseline` contract (the same contract ./kyc bench measures beside kyc).
const { randomBytes } = require('node:crypto');
const { WorkloadModuleBase } = require('@hyperledger/caliper-core');

class BaselinePut extends WorkloadModuleBase {
  async submitTransaction() {
    await this.sutAdapter.sendRequests({
      contractId: 'baseline',
      contractFunction: 'Put',
      contractArguments: [`caliper-${randomBytes(12).toString('hex')}`, randomBytes(48).toString('base64url')],
      invokerIdentity: 'officer',
      invokerMspId: 'CertifierMSP',
      readOnly: false,
    });
  }
}

module.exports.createWorkloadModule = () => new BaselinePut();
