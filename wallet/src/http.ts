import { isErrorCode, KycError } from '../../protocol/src';

/**
 * The wallet's one HTTP seam: a JSON request with a deadline, a response size cap, and the services' error
 * form `{ error: { code, message } }` turned back into a `KycError` with the same code.
 */

/** The subset of `fetch` the wallet uses; tests and other runtimes can pass their own. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

export interface HttpOptions {
  /** Deadline for the whole exchange, in milliseconds; default 10 000. */
  readonly timeoutMs?: number;
  /** Defaults to the global `fetch`. */
  readonly fetch?: FetchFunction;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly url: string;
  readonly body?: string;
  readonly contentType?: string;
  /** Extra request headers, e.g. an officer's `authorization`. */
  readonly headers?: Readonly<Record<string, string>>;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 1024 * 1024;

/**
 * Checks a service base URL or endpoint: http(s), no credentials, no query or fragment.
 *
 * @throws KycError KYC_INVALID_ARGUMENT otherwise.
 */
export function checkServiceUrl(value: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new KycError('KYC_INVALID_ARGUMENT', `${what} is not a URL`, { cause });
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '') {
    throw new KycError('KYC_INVALID_ARGUMENT', `${what} must be an http(s) URL without credentials`);
  }
  return url;
}

function errorFromBody(status: number, body: unknown, origin: string): KycError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const message = typeof error?.message === 'string' ? error.message.slice(0, 500) : `HTTP ${status}`;
  if (typeof error?.code === 'string' && isErrorCode(error.code)) {
    // The service's own coded answer: the message is the detail, the code travels beside it.
    return new KycError(error.code, `${origin}: ${message}`);
  }
  return new KycError('KYC_UNAVAILABLE', `${origin} answered HTTP ${status}`);
}

/** Reads the body up to the cap; `undefined` when it is longer (the rest is not read). */
async function readCapped(response: Response): Promise<Buffer | undefined> {
  const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
  if (reader === undefined) {
    return Buffer.alloc(0);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      return Buffer.concat(chunks);
    }
    size += value.length;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
}

function parseJson(bytes: Buffer | undefined): unknown {
  if (bytes === undefined) {
    return undefined;
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Sends one request; returns the 2xx response's body (capped), or throws the service's coded error. */
async function exchange(request: HttpRequest, accept: string, options: Readonly<HttpOptions>): Promise<Buffer> {
  const origin = new URL(request.url).origin;
  const doFetch = options.fetch ?? fetch;
  const headers: Record<string, string> = { ...request.headers, accept };
  if (request.contentType !== undefined) {
    headers['content-type'] = request.contentType;
  }
  let response: Response;
  let body: Buffer | undefined;
  try {
    const signal = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    response = await doFetch(request.url, { method: request.method, headers, body: request.body, signal });
    body = await readCapped(response);
  } catch (cause) {
    throw new KycError('KYC_UNAVAILABLE', `could not reach ${origin}`, { cause });
  }
  if (!response.ok) {
    throw errorFromBody(response.status, parseJson(body), origin);
  }
  if (body === undefined) {
    throw new KycError('KYC_UNAVAILABLE', `${origin} answered more than ${MAX_RESPONSE_BYTES} bytes`);
  }
  return body;
}

/**
 * Sends one request and returns the parsed JSON body of a 2xx answer.
 *
 * @throws KycError with the service's code when it answers `{ error: { code, message } }`.
 * @throws KycError KYC_UNAVAILABLE when the service cannot be reached in time, or answers without a known
 * code, or with something other than JSON.
 */
export async function requestJson(request: HttpRequest, options: Readonly<HttpOptions> = {}): Promise<unknown> {
  const body = parseJson(await exchange(request, 'application/json', options));
  if (body === undefined) {
    throw new KycError('KYC_UNAVAILABLE', `${new URL(request.url).origin} answered something other than JSON`);
  }
  return body;
}

/**
 * Sends one request and returns the raw body of a 2xx answer (e.g. an image).
 *
 * @throws KycError as {@link requestJson}, except that any body is accepted.
 */
export function requestBytes(request: HttpRequest, options: Readonly<HttpOptions> = {}): Promise<Buffer> {
  return exchange(request, '*/*', options);
}
