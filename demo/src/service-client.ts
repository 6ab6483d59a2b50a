import { requestBytes, requestJson, type HttpRequest } from '../../wallet/src';

/**
 * A small typed client for the certifier and bank services' JSON APIs as their officers (or a test) use
 * them: a bearer token on the wallet's HTTP seam, which turns the services' `{ error: { code } }` back into
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
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const request = (method: HttpRequest['method'], path: string, body?: unknown): HttpRequest => ({
    method,
    url: `${baseUrl}${path}`,
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }),
  });
  // Response shapes are the services' (docs/services.md); callers name them.
  const json = async <T>(r: HttpRequest): Promise<T> => (await requestJson(r, { timeoutMs })) as T;
  return {
    baseUrl,
    get: (path) => json(request('GET', path)),
    post: (path, body = {}) => json(request('POST', path, body)),
    delete: (path) => json(request('DELETE', path)),
    raw: (path) => requestBytes(request('GET', path), { timeoutMs }),
  };
}
