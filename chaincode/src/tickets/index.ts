/** Entry point of the `tickets` chaincode. */
import { TicketsContract } from './contract';

export const contracts: unknown[] = [TicketsContract];
