import { KycError, isErrorCode } from '../../../protocol/src';

/**
 * A small typed HTTP client for the certifier and bank services' JSON APIs, as their officers (or a test)
 * use them: bearer token, JSON in and out, and the service's `{ error: { code, message } }` turned back into
 * a KycError with the same code.
 */
export interface ServiceClient {
  readonly baseUrl: string;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
  /** Raw response for non-JSON endpoints (QR images). */
  raw(path: string): Promise<Buffer>;
}

export function serviceClient(baseUrl: string, token?: string, timeoutMs = 60_000): ServiceClient {
  const headers = (json: boolean): Record<string, string> => ({
    ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    ...(json ? { 'content-type': 'application/json' } : {}),
  });

  async function send(method: string, path: string, body?: unknown): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: headers(body !== undefined),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (cause) {
      throw new KycError('KYC_UNAVAILABLE', `${method} ${baseUrl}${path} failed: ${(cause as Error).message}`, {
        cause,
      });
    }
    if (!response.ok) {
      throw await errorFrom(response, `${method} ${path}`);
    }
    return response;
  }

  return {
    baseUrl,
    get: async <T>(path: string) => (await (await send('GET', path)).json()) as T,
    post: async <T>(path: string, body: unknown = {}) => (await (await send('POST', path, body)).json()) as T,
    delete: async <T>(path: string) => (await (await send('DELETE', path)).json()) as T,
    raw: async (path: string) => Buffer.from(await (await send('GET', path)).arrayBuffer()),
  };
}

/** The service's error body as a KycError with the same code. */
async function errorFrom(response: Response, what: string): Promise<KycError> {
  const payload = (await response.json().catch(() => undefined)) as
    { error?: { code?: string; message?: string } } | undefined;
  const code = payload?.error?.code ?? '';
  const message = payload?.error?.message ?? response.statusText;
  return new KycError(isErrorCode(code) ? code : 'KYC_INTERNAL', `${what} → ${response.status}: ${message}`);
}
