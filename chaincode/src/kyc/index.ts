/**
 * Entry point of the `kyc` chaincode: `fabric-chaincode-node server` loads `contracts` from this module.
 * The first contract is the default one, so callers may omit the namespace.
 */
import { KycContract } from './contract';

export const contracts: unknown[] = [KycContract];
