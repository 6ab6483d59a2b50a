/**
 * Entry point for `fabric-chaincode-node server --module-path <repo root>` (the root package.json's `main`):
 * serves the contracts of the chaincode named by `KYC_CHAINCODE` (`kyc`, the default, or `tickets`). The
 * per-chaincode entry points `kyc/index.ts` and `tickets/index.ts` serve one chaincode each.
 */
import { contracts as kycContracts } from './kyc';
import { contracts as ticketsContracts } from './tickets';

export const contracts: unknown[] = process.env.KYC_CHAINCODE === 'tickets' ? ticketsContracts : kycContracts;
