'use strict';
// Caliper workloads for the kyc contract: Certify (a fresh person per transaction, with the person's signed
// request and a salted commitment, as a certifier sends it) and GetAttestation (reads back people this worker
// certified). Built from the project's compiled protocol (dist/), so the arguments are exactly those the
// project's own clients send.
const { join } = require('node:path');
const { WorkloadModuleBase } = require('@hyperledger/caliper-core');

const dist = join(__dirname, '..', '..', '..', 'dist');
const person = require(join(dist, 'protocol', 'testing', 'simulated-person.js'));
const { encodeArguments } = require(join(dist, 'protocol', 'src', 'ledger-api.js'));

class Kyc extends WorkloadModuleBase {
  async initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext) {
    await super.initializeWorkloadModule(workerIndex, totalWorkers, roundIndex, roundArguments, sutAdapter, sutContext);
    this.operation = roundArguments.operation;
    this.certified = [];
    this.reads = 0;
    // Reads need people on the ledger: each worker certifies a few before its read round.
    if (this.operation === 'GetAttestation') for (let i = 0; i < 10; i++) await this.certify();
  }

  async certify() {
    const p = person.newPerson();
    const claims = person.uniqueClaims();
    const request = await person.certificationRequest(p, { aud: 'CertifierMSP', claims, claimsSalt: person.salt() });
    const { commitment } = person.commitmentFor(claims);
    const encoded = encodeArguments('Certify', [p.id, request, JSON.parse(commitment)]);
    await this.sutAdapter.sendRequests({
      contractId: 'kyc',
      contractFunction: 'Certify',
      contractArguments: encoded.arguments,
      invokerIdentity: 'officer',
      invokerMspId: 'CertifierMSP',
      readOnly: false,
    });
    this.certified.push(p.id);
  }

  async submitTransaction() {
    if (this.operation === 'Certify') return this.certify();
    const id = this.certified[this.reads++ % this.certified.length];
    const encoded = encodeArguments('GetAttestation', [id, 'CertifierMSP', 'identity']);
    return this.sutAdapter.sendRequests({
      contractId: 'kyc',
      contractFunction: 'GetAttestation',
      contractArguments: encoded.arguments,
      invokerIdentity: 'verifier',
      invokerMspId: 'BankMSP',
      readOnly: true,
    });
  }
}

module.exports.createWorkloadModule = () => new Kyc();
