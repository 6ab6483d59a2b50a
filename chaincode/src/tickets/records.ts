import type { Context } from 'fabric-contract-api';
import { KycError } from '../../../protocol/src';
import type { AssuranceLevel } from '../../../protocol/src';
import { unmarshal } from '../common/codec';

/** Records and keys of the `tickets` chaincode. */

export const EVENT_DOC_TYPE = 'tickets.event';
export const TICKET_DOC_TYPE = 'tickets.ticket';

/** Event ids: letters, digits, dot, dash, underscore; 1..64 characters. */
export const EVENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A ticketed event, sold by one organisation to KYC-verified persons only. */
export interface TicketEvent {
  readonly docType: typeof EVENT_DOC_TYPE;
  readonly eventId: string;
  readonly name: string;
  readonly capacity: number;
  readonly sold: number;
  readonly minLevel: AssuranceLevel;
  /** Sorted MSP ids of the certifiers whose attestations the seller accepts. */
  readonly trustedCertifiers: readonly string[];
  /** MSP id of the selling organisation. */
  readonly seller: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One person's ticket for one event. */
export interface Ticket {
  readonly docType: typeof TICKET_DOC_TYPE;
  readonly eventId: string;
  readonly personId: string;
  /** 1-based, in order of sale. */
  readonly seat: number;
  readonly seller: string;
  readonly purchasedAt: string;
  readonly txId: string;
  /** The attestation that let the person buy, as `kyc` IsVerified reported it. */
  readonly kyc: { readonly certifier: string; readonly kind: string; readonly level: number; readonly version: number };
}

/** The key of an event. */
export function eventKey(ctx: Context, eventId: string): string {
  return ctx.stub.createCompositeKey(EVENT_DOC_TYPE, [eventId]);
}

/** The key of one person's ticket for one event. */
export function ticketKey(ctx: Context, eventId: string, personId: string): string {
  return ctx.stub.createCompositeKey(TICKET_DOC_TYPE, [eventId, personId]);
}

function parseStored<T extends { readonly docType: string }>(bytes: Uint8Array, docType: T['docType']): T {
  const value = unmarshal(bytes, docType);
  if (typeof value !== 'object' || value === null || (value as { docType?: unknown }).docType !== docType) {
    throw new KycError('KYC_INTERNAL', `stored ${docType} has an unexpected shape`);
  }
  return value as T;
}

/**
 * The event stored under `eventId`, or `undefined`.
 *
 * @throws KycError KYC_INTERNAL when the stored value is not an event.
 */
export async function readEvent(ctx: Context, eventId: string): Promise<TicketEvent | undefined> {
  const bytes = await ctx.stub.getState(eventKey(ctx, eventId));
  return bytes.length === 0 ? undefined : parseStored<TicketEvent>(bytes, EVENT_DOC_TYPE);
}

/**
 * The ticket of `personId` for `eventId`, or `undefined`.
 *
 * @throws KycError KYC_INTERNAL when the stored value is not a ticket.
 */
export async function readTicket(ctx: Context, eventId: string, personId: string): Promise<Ticket | undefined> {
  const bytes = await ctx.stub.getState(ticketKey(ctx, eventId, personId));
  return bytes.length === 0 ? undefined : parseStored<Ticket>(bytes, TICKET_DOC_TYPE);
}
