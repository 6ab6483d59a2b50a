/** Entry point of the `baseline` chaincode (benchmarks only; see contract.ts). */
import { BaselineContract } from './contract';

export const contracts: unknown[] = [BaselineContract];
