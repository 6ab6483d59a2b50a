import type { Context } from 'fabric-contract-api';
import { KycError } from '../../../protocol/src';
import { parseMspListArgument, requireLevel, requireMatch, requirePersonId } from '../common/args';
import { marshal, toJson } from '../common/codec';
import { peerMsp } from '../common/peer';
import { txTime } from '../common/tx-time';
import { askKyc } from './kyc-gate';
import { EVENT_DOC_TYPE, EVENT_ID, TICKET_DOC_TYPE, eventKey, readEvent, readTicket, ticketKey } from './records';
import type { Ticket, TicketEvent } from './records';

/** Text without control characters or lone surrogates, 1..200 characters. */
const EVENT_NAME = /^[^\p{Cc}\p{Cs}]{1,200}$/u;
/** Decimal capacity without leading zeros; at most {@link MAX_CAPACITY}. */
const CAPACITY = /^[1-9][0-9]{0,5}$/;
export const MAX_CAPACITY = 100_000;

/**
 * The caller must be a member of the organisation whose peer runs the transaction: the seller.
 *
 * @throws KycError KYC_FORBIDDEN otherwise; KYC_INTERNAL when the chaincode server does not know its
 *   peer's organisation.
 */
export function requireSeller(ctx: Context): string {
  const msp = ctx.clientIdentity.getMSPID();
  if (peerMsp(ctx) !== msp) {
    throw new KycError('KYC_FORBIDDEN', `caller of ${msp} is not a member of this peer's organisation`);
  }
  return msp;
}

function requireCapacity(value: unknown): number {
  const text = requireMatch(value, 'capacity', CAPACITY, 6);
  const capacity = Number(text);
  if (capacity > MAX_CAPACITY) {
    throw new KycError('KYC_INVALID_ARGUMENT', `capacity must be 1 to ${MAX_CAPACITY}`);
  }
  return capacity;
}

/** Raw arguments of CreateEvent. */
export interface CreateEventArguments {
  readonly eventId: unknown;
  readonly name: unknown;
  readonly capacity: unknown;
  readonly minLevel: unknown;
  readonly trustedCertifiers: unknown;
}

/**
 * CreateEvent: the calling organisation puts an event on sale.
 *
 * @returns the event as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN, KYC_INVALID_ARGUMENT, KYC_CONFLICT (event exists).
 */
export async function createEvent(ctx: Context, args: CreateEventArguments): Promise<string> {
  const seller = requireSeller(ctx);
  const eventId = requireMatch(args.eventId, 'eventId', EVENT_ID, 64);
  const name = requireMatch(args.name, 'name', EVENT_NAME, 200);
  const capacity = requireCapacity(args.capacity);
  const minLevel = requireLevel(args.minLevel, 'minLevel');
  const trustedCertifiers = parseMspListArgument(args.trustedCertifiers, 'trustedCertifiers').sort();
  const now = txTime(ctx);
  if ((await readEvent(ctx, eventId)) !== undefined) {
    throw new KycError('KYC_CONFLICT', `event ${eventId} exists`);
  }
  const event: TicketEvent = {
    docType: EVENT_DOC_TYPE,
    eventId,
    name,
    capacity,
    sold: 0,
    minLevel,
    trustedCertifiers,
    seller,
    createdBy: ctx.clientIdentity.getID(),
    createdAt: now.iso,
    updatedAt: now.iso,
  };
  await ctx.stub.putState(eventKey(ctx, eventId), marshal(event));
  return toJson(event);
}

async function requireEvent(ctx: Context, eventId: string): Promise<TicketEvent> {
  const event = await readEvent(ctx, eventId);
  if (event === undefined) {
    throw new KycError('KYC_NOT_FOUND', `no event ${eventId}`);
  }
  return event;
}

/**
 * BuyTicket: sells one ticket to a KYC-verified person. The event's seller submits it for the person (who
 * has no Fabric identity); `kyc` IsVerified decides with the event's level and trusted certifiers.
 *
 * @returns the ticket as deterministic JSON.
 * @throws KycError KYC_FORBIDDEN (not the seller, or the person is not KYC-verified), KYC_INVALID_ARGUMENT,
 *   KYC_NOT_FOUND (event), KYC_CONFLICT (already has a ticket, or sold out), KYC_UNAVAILABLE.
 */
export async function buyTicket(
  ctx: Context,
  kycChaincode: string,
  eventIdArgument: unknown,
  personIdArgument: unknown,
): Promise<string> {
  const seller = requireSeller(ctx);
  const eventId = requireMatch(eventIdArgument, 'eventId', EVENT_ID, 64);
  const { personId } = requirePersonId(personIdArgument);
  const now = txTime(ctx);
  const event = await requireEvent(ctx, eventId);
  if (event.seller !== seller) {
    throw new KycError('KYC_FORBIDDEN', `event ${eventId} is sold by ${event.seller}, not ${seller}`);
  }
  if ((await readTicket(ctx, eventId, personId)) !== undefined) {
    throw new KycError('KYC_CONFLICT', `person ${personId} already has a ticket for ${eventId}`);
  }
  if (event.sold >= event.capacity) {
    throw new KycError('KYC_CONFLICT', `event ${eventId} is sold out`);
  }
  const verdict = await askKyc(ctx, kycChaincode, personId, event.minLevel, event.trustedCertifiers);
  if (!verdict.verified) {
    throw new KycError('KYC_FORBIDDEN', `person ${personId} is not KYC-verified (${verdict.reason})`);
  }
  const { certifier, kind, level, version } = verdict;
  const ticket: Ticket = {
    docType: TICKET_DOC_TYPE,
    eventId,
    personId,
    seat: event.sold + 1,
    seller,
    purchasedAt: now.iso,
    txId: ctx.stub.getTxID(),
    kyc: { certifier, kind, level, version },
  };
  await ctx.stub.putState(ticketKey(ctx, eventId, personId), marshal(ticket));
  await ctx.stub.putState(eventKey(ctx, eventId), marshal({ ...event, sold: ticket.seat, updatedAt: now.iso }));
  return toJson(ticket);
}

/**
 * GetEvent: one event.
 *
 * @throws KycError KYC_INVALID_ARGUMENT, KYC_NOT_FOUND.
 */
export async function getEvent(ctx: Context, eventIdArgument: unknown): Promise<string> {
  return toJson(await requireEvent(ctx, requireMatch(eventIdArgument, 'eventId', EVENT_ID, 64)));
}

/**
 * GetTicket: one person's ticket for one event.
 *
 * @throws KycError KYC_INVALID_ARGUMENT, KYC_NOT_FOUND.
 */
export async function getTicket(ctx: Context, eventIdArgument: unknown, personIdArgument: unknown): Promise<string> {
  const eventId = requireMatch(eventIdArgument, 'eventId', EVENT_ID, 64);
  const { personId } = requirePersonId(personIdArgument);
  const ticket = await readTicket(ctx, eventId, personId);
  if (ticket === undefined) {
    throw new KycError('KYC_NOT_FOUND', `person ${personId} has no ticket for ${eventId}`);
  }
  return toJson(ticket);
}
