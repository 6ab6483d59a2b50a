import { PassThrough } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { KycError } from '../../../protocol/src';
import type { StatusEvent } from '../../../protocol/src/http/web-api';
import type { Registration } from '../bank/registrations';

/**
 * A registration's status as server-sent events (`event: status`), so the desk and an embedding page change
 * the moment the person presents, without a reload. The stream reads the store (shared by replicas) every
 * `pollMs` and sends a change only; it ends once the registration is verified or expired.
 */

export type Lookup = (id: string) => Promise<Registration>;

/** The registration, or `undefined` once the sweep removed it after expiry. */
export async function currentRegistration(lookup: Lookup, id: string): Promise<Registration | undefined> {
  try {
    return await lookup(id);
  } catch (err) {
    if (err instanceof KycError && err.code === 'KYC_NOT_FOUND') return undefined;
    throw err;
  }
}

/** The status the pages show for a registration: pending past its expiry is `expired`. */
export function statusOf(r: Registration, withClaims: boolean): StatusEvent {
  const registrationId = r.id;
  if (r.status === 'pending' && Date.parse(r.expiresAt) <= Date.now()) return { registrationId, status: 'expired' };
  if (r.status !== 'verified' || r.result === undefined) return { registrationId, status: r.status };
  const { level, certifier, claims } = r.result;
  return { registrationId, status: 'verified', level, certifier, ...(withClaims ? { claims: { ...claims } } : {}) };
}

/** The status the pages show; a registration the sweep removed after expiry is `expired`. */
export async function statusEvent(lookup: Lookup, id: string, withClaims: boolean): Promise<StatusEvent> {
  const r = await currentRegistration(lookup, id);
  return r === undefined ? { registrationId: id, status: 'expired' } : statusOf(r, withClaims);
}

const final = (e: StatusEvent): boolean => e.status === 'verified' || e.status === 'expired';

export function sendStatusStream(
  request: FastifyRequest,
  reply: FastifyReply,
  next: () => Promise<StatusEvent>,
  pollMs = 500,
): FastifyReply {
  const stream = new PassThrough();
  let last = '';
  let timer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    stream.end();
  };
  const tick = async (): Promise<void> => {
    const event = await next();
    const data = JSON.stringify(event);
    if (data !== last) stream.write(`event: status\ndata: ${data}\n\n`);
    last = data;
    if (final(event)) stop();
    else timer = setTimeout(() => void tick().catch(stop), pollMs);
  };
  request.raw.on('close', stop);
  void tick().catch(stop);
  return reply
    .type('text/event-stream; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-accel-buffering', 'no')
    .send(stream);
}
