import { readFileSync } from 'node:fs';
import { request } from 'node:https';

/** What an operations endpoint answered. */
export interface OperationsResponse {
  readonly status: number;
  readonly body: string;
}

/** Options of {@link operationsRequest}. */
export interface OperationsRequestOptions {
  /** PEM file of the CA that signed the endpoint's server certificate. */
  readonly caPath: string;
  /** A TLS client certificate and its key (PEM files); without them the request is anonymous. */
  readonly client?: { readonly certPath: string; readonly keyPath: string };
  readonly method?: 'GET' | 'PUT';
  readonly body?: string;
  readonly timeoutMs?: number;
}

/**
 * One request to a peer's or orderer's operations endpoint (https). Resolves with the status and body;
 * rejects when TLS or the connection fails (e.g. a refused handshake).
 */
export function operationsRequest(
  url: string,
  options: Readonly<OperationsRequestOptions>,
): Promise<OperationsResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca: readFileSync(options.caPath),
        ...(options.client === undefined
          ? {}
          : { cert: readFileSync(options.client.certPath), key: readFileSync(options.client.keyPath) }),
        timeout: options.timeoutMs ?? 5000,
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        response.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in time`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Whether `<operationsUrl>/healthz` answers `{"status":"OK"}` (anonymous, server verified by `caPath`). */
export async function operationsHealthy(operationsUrl: string, caPath: string): Promise<boolean> {
  try {
    const response = await operationsRequest(`${operationsUrl}/healthz`, { caPath, timeoutMs: 2000 });
    return response.status === 200 && (JSON.parse(response.body) as { status?: string }).status === 'OK';
  } catch {
    return false;
  }
}
