'use strict';
// Caliper workload: the trivial get of the `baseline` contract, evaluated (not ordered).
const { WorkloadModuleBase } = require('@hyperledger/caliper-core');

class BaselineGet extends WorkloadModuleBase {
  async submitTransaction() {
    await this.sutAdapter.sendRequests({
      contractId: 'baseline',
      contractFunction: 'Get',
      contractArguments: ['caliper-missing-key'],
      invokerIdentity: 'verifier',
      invokerMspId: 'BankMSP',
      readOnly: true,
    });
  }
}

module.exports.createWorkloadModule = () => new BaselineGet();
