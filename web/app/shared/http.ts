import { KycError, isErrorCode } from '../../../protocol/src/errors';

/**
 * fetch for the pages: a timeout, JSON in and out, and the services' `{ error: { code, message } }` turned
 * into a KycError whose message is the service's own (shown to people as text).
 */

export interface JsonRequest {
  readonly method?: 'GET' | 'POST' | 'DELETE';
  readonly body?: unknown;
  /** Sent as is with this content type instead of JSON. */
  readonly raw?: { readonly text: string; readonly contentType: string };
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Send cookies (same-origin pages only). */
  readonly credentials?: RequestCredentials;
}

async function errorOf(response: Response): Promise<KycError> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    const code = body.error?.code ?? '';
    if (isErrorCode(code)) return new KycError(code, body.error?.message ?? response.statusText);
  } catch {
    // Not our error shape; fall through.
  }
  return new KycError('KYC_UNAVAILABLE', `the service answered ${response.status}`);
}

function bodyOf(request: JsonRequest): { body?: string; type?: string } {
  if (request.raw !== undefined) return { body: request.raw.text, type: request.raw.contentType };
  if (request.body !== undefined) return { body: JSON.stringify(request.body), type: 'application/json' };
  return {};
}

export async function send(url: string, request: JsonRequest = {}): Promise<Response> {
  const { body, type } = bodyOf(request);
  const headers: Record<string, string> = {
    ...request.headers,
    ...(type === undefined ? {} : { 'content-type': type }),
  };
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method ?? (body === undefined ? 'GET' : 'POST'),
      headers,
      body: body ?? null,
      credentials: request.credentials ?? 'omit',
      signal: AbortSignal.timeout(request.timeoutMs ?? 10_000),
    });
  } catch {
    throw new KycError('KYC_UNAVAILABLE', `cannot reach ${new URL(url, location.href).host}; check your connection`);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

export async function json<T>(url: string, request: JsonRequest = {}): Promise<T> {
  const response = await send(url, request);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** The text for people of any failure. */
export function messageOf(err: unknown): string {
  if (err instanceof KycError) return err.detail;
  return err instanceof Error ? err.message : String(err);
}
