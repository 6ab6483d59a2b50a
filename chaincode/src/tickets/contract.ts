import { Context, Info, Param, Returns, Transaction } from 'fabric-contract-api';
import { CodedContract } from '../common/coded-contract';
import { buyTicket, createEvent, getEvent, getTicket } from './sale';

/** The environment the tickets chaincode reads once. */
export interface TicketsEnvironment {
  /** Name of the kyc chaincode on the same channel; `kyc` when unset. */
  readonly KYC_CHAINCODE_NAME?: string | undefined;
}

/**
 * The `tickets` contract: a small ticket sale that sells only to persons the `kyc` chaincode reports as
 * verified. Every transaction returns deterministic JSON text and fails with a KYC error code.
 */
@Info({ title: 'tickets', description: 'A KYC-gated ticket sale' })
export class TicketsContract extends CodedContract {
  readonly #kycChaincode: string;

  /** @param env where `KYC_CHAINCODE_NAME` comes from: the chaincode server's environment. */
  constructor(env: Readonly<TicketsEnvironment> = process.env) {
    super('tickets');
    this.#kycChaincode =
      env.KYC_CHAINCODE_NAME !== undefined && env.KYC_CHAINCODE_NAME !== '' ? env.KYC_CHAINCODE_NAME : 'kyc';
  }

  @Transaction()
  @Param('eventId', 'string', 'event id: letters, digits, . _ -; 1..64')
  @Param('name', 'string', 'display name, 1..200 characters')
  @Param('capacity', 'string', 'number of tickets, 1..100000')
  @Param('minLevel', 'string', "minimum KYC assurance level: '1', '2' or '3'")
  @Param('trustedCertifiers', 'string', 'JSON array of certifier MSP ids')
  @Returns('string')
  async CreateEvent(
    ctx: Context,
    eventId: string,
    name: string,
    capacity: string,
    minLevel: string,
    trustedCertifiers: string,
  ): Promise<string> {
    return createEvent(ctx, { eventId, name, capacity, minLevel, trustedCertifiers });
  }

  @Transaction()
  @Param('eventId', 'string', 'the event')
  @Param('personId', 'string', "the buyer's did:key")
  @Returns('string')
  async BuyTicket(ctx: Context, eventId: string, personId: string): Promise<string> {
    return buyTicket(ctx, this.#kycChaincode, eventId, personId);
  }

  @Transaction(false)
  @Param('eventId', 'string', 'the event')
  @Returns('string')
  async GetEvent(ctx: Context, eventId: string): Promise<string> {
    return getEvent(ctx, eventId);
  }

  @Transaction(false)
  @Param('eventId', 'string', 'the event')
  @Param('personId', 'string', "the buyer's did:key")
  @Returns('string')
  async GetTicket(ctx: Context, eventId: string, personId: string): Promise<string> {
    return getTicket(ctx, eventId, personId);
  }
}
