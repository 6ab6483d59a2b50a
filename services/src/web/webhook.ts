import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  type WebhookBody,
} from '../../../protocol/src/http/web-api';

/**
 * The bank's signed callback to its back office (docs/web.md): one POST per verified registration, the body
 * signed with HMAC-SHA256 under a shared secret, retried with exponential backoff until the receiver answers
 * 2xx. Header `x-kyc-signature: t=<unix seconds>,v1=<hex HMAC of "<t>.<body>">` (the time stops replays of
 * an old delivery); `x-kyc-delivery` is the registration id, so a receiver can drop a repeat. The body names
 * the verified claims, never their values: the back office reads those with its officer token.
 *
 * Deliveries are kept in memory: a process that stops while retrying drops them (the back office can still
 * list verified registrations).
 */

export interface WebhookOptions {
  readonly url: string;
  readonly secret: string;
  /** Waits before each retry, ms (default 1 s, 2 s, 4 s, 8 s, 16 s, 32 s). */
  readonly retryDelaysMs?: readonly number[];
  readonly timeoutMs?: number;
  /** Reports each failed attempt by status only (never the body). */
  readonly onFailure?: (attempt: number, status: number | string) => void;
}

export function signWebhook(secret: string, body: string, time: number): string {
  const mac = createHmac('sha256', secret).update(`${time}.${body}`, 'utf8').digest('hex');
  return `t=${time},v1=${mac}`;
}

/** The receiver's check: signature over the exact body, and a time within `toleranceSeconds`. */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string,
  now: number,
  toleranceSeconds = 300,
): boolean {
  const match = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header);
  if (match?.[1] === undefined || match[2] === undefined) return false;
  const time = Number(match[1]);
  if (Math.abs(now - time) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, time));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** The secret from `KYC_WEBHOOK_SECRET`, or generated once into `<dataDir>/webhook-secret` (mode 600). */
export function webhookSecret(dataDir: string, fromEnv: string | undefined): string {
  if (fromEnv !== undefined && fromEnv.length >= 32) return fromEnv;
  const file = join(dataDir, 'webhook-secret');
  if (!existsSync(file)) writeFileSync(file, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  return readFileSync(file, 'utf8').trim();
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

export class Webhook {
  readonly #options: WebhookOptions;
  readonly #sent = new Set<string>();

  constructor(options: WebhookOptions) {
    this.#options = options;
  }

  /** Queues the delivery of `body` (once per registration id); returns when delivered or given up. */
  async deliver(body: WebhookBody): Promise<boolean> {
    if (this.#sent.has(body.registrationId)) return true;
    this.#sent.add(body.registrationId);
    const text = JSON.stringify(body);
    const delays = this.#options.retryDelaysMs ?? [1000, 2000, 4000, 8000, 16000, 32000];
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) await sleep(delays[attempt - 1] ?? 0);
      const status = await this.#post(body.registrationId, text);
      if (typeof status === 'number' && status >= 200 && status < 300) return true;
      this.#options.onFailure?.(attempt + 1, status);
    }
    return false;
  }

  async #post(delivery: string, text: string): Promise<number | string> {
    try {
      const response = await fetch(this.#options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [WEBHOOK_SIGNATURE_HEADER]: signWebhook(this.#options.secret, text, Math.floor(Date.now() / 1000)),
          [WEBHOOK_DELIVERY_HEADER]: delivery,
        },
        body: text,
        signal: AbortSignal.timeout(this.#options.timeoutMs ?? 10_000),
      });
      await response.arrayBuffer();
      return response.status;
    } catch (err) {
      return err instanceof Error ? err.name : 'error';
    }
  }
}
