import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { KycError, isErrorCode, type Claims, type EvidenceFiles } from '../../../protocol/src';
import type { Evidence } from '../../../intake/src/evidence';
import { EvidenceChecks } from './evidence-checks';

/**
 * The intake engine on its own thread: OCR, face models and passive authentication take about two seconds of
 * CPU per submission, which on the service's event loop would hold up every other request (nonces, status,
 * collection, the console). The thread is started at the first submission and restarted if it dies; files go
 * to it by transfer (no copy is kept here) and only the evidence or a coded refusal comes back.
 */

interface Request {
  readonly id: number;
  readonly files: EvidenceFiles;
  readonly claims: Claims;
}
type Reply =
  | { readonly id: number; readonly evidence: Evidence }
  | { readonly id: number; readonly error: { readonly code: string; readonly message: string } };

const THREAD_KIND = 'kyc-evidence-checks';

export interface EvidenceThreadOptions {
  readonly cscaDir: string;
  /** Submissions that may wait while one runs; more are refused with KYC_CAPACITY. */
  readonly maxQueued: number;
}

export class EvidenceThread {
  readonly #options: EvidenceThreadOptions;
  readonly #pending = new Map<number, { resolve: (e: Evidence) => void; reject: (e: unknown) => void }>();
  #worker: Worker | undefined;
  #next = 0;

  constructor(options: EvidenceThreadOptions) {
    this.#options = options;
  }

  /** As EvidenceChecks.check, on the thread. @throws KycError as EvidenceChecks.check; KYC_UNAVAILABLE if the thread died. */
  check(files: EvidenceFiles, claims: Claims): Promise<Evidence> {
    if (this.#pending.size >= this.#options.maxQueued + 1) {
      throw new KycError('KYC_CAPACITY', 'the certifier is checking other documents; retry in a minute');
    }
    const id = this.#next++;
    // Own copies, transferred: the request's buffers may share memory with the rest of the body.
    const copies = Object.fromEntries(Object.entries(files).map(([role, bytes]) => [role, new Uint8Array(bytes)]));
    const request: Request = { id, files: copies, claims };
    return new Promise<Evidence>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#thread().postMessage(
        request,
        Object.values(copies).map((bytes) => bytes.buffer),
      );
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  #thread(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(__filename, { workerData: { kind: THREAD_KIND, cscaDir: this.#options.cscaDir } });
    worker.on('message', (reply: Reply) => {
      const waiting = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (waiting === undefined) return;
      if ('evidence' in reply) waiting.resolve(reply.evidence);
      else
        waiting.reject(
          new KycError(isErrorCode(reply.error.code) ? reply.error.code : 'KYC_INTERNAL', reply.error.message),
        );
    });
    const fail = (): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const waiting of this.#pending.values()) {
        waiting.reject(new KycError('KYC_UNAVAILABLE', 'the document checks stopped; retry in a minute'));
      }
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.#worker = worker;
    return worker;
  }
}

/** The thread's side: one EvidenceChecks, one submission at a time, replies with the evidence or a code. */
function serveChecks(port: NonNullable<typeof parentPort>, cscaDir: string): void {
  const checks = new EvidenceChecks({ cscaDir });
  port.on('message', (request: Request) => {
    checks
      .check(request.files, request.claims)
      .then((evidence) => {
        port.postMessage({ id: request.id, evidence } satisfies Reply);
      })
      .catch((err: unknown) => {
        // Codes and their messages only: engine messages name fields, never values or bytes.
        const error =
          err instanceof KycError
            ? { code: err.code, message: err.detail }
            : { code: 'KYC_INTERNAL', message: 'the document checks failed' };
        port.postMessage({ id: request.id, error } satisfies Reply);
      });
  });
}

const data = workerData as { kind?: unknown; cscaDir?: unknown } | null;
if (!isMainThread && parentPort !== null && data?.kind === THREAD_KIND && typeof data.cscaDir === 'string') {
  serveChecks(parentPort, data.cscaDir);
}
