import type { FastifyInstance } from 'fastify';
import { KycError } from '../../../protocol/src';
import type { CommonConfig } from '../config';
import { createHttpApp, newHttpMetrics } from '../http/app';
import type { ServiceMetrics } from '../http/metrics';
import type { KycStore } from '../../../store/src';
import { importJsonState, OFFICERS_JSON, type JsonImport } from './json-import';
import { OfficerStore } from './officers';
import { openOrgRuntime, type OrgRuntime } from './org-runtime';

/** What a service adds to the shared shell: its routes, built from the opened runtime. */
export interface ServiceDefinition {
  readonly name: 'certifier' | 'bank';
  readonly title: string;
  readonly description: string;
  readonly config: CommonConfig;
  /** The service's JSON state files of earlier versions, imported into the store once (officers.json is common). */
  readonly imports: readonly JsonImport[];
  routes(context: {
    readonly runtime: OrgRuntime;
    readonly store: KycStore;
    readonly officers: OfficerStore;
    readonly metrics: ServiceMetrics;
    /** Runs `sweep` every `KYC_SWEEP_SECONDS` (expiry and retention); failures are logged by code and retried. */
    readonly schedule: (name: string, sweep: () => Promise<void>) => void;
  }): Promise<(app: FastifyInstance) => void | Promise<void>>;
}

/**
 * Opens the organisation's runtime (network.json, HSM token, peer channels, state store), builds the HTTP app with the
 * service's routes, listens, and closes everything on SIGINT/SIGTERM. Start-up failures exit with status 1
 * and a one-line reason (the log has the detail).
 */
export async function serve(definition: ServiceDefinition): Promise<void> {
  const { config } = definition;
  const metrics = newHttpMetrics(definition.name);
  const runtime = await openOrgRuntime({
    networkConfigPath: config.networkConfigPath,
    mspId: config.mspId,
    dataDir: config.dataDir,
    observe: (operation, seconds) => {
      metrics.ledgerSeconds.observe({ operation }, seconds);
    },
    store: config.store,
    onStoreOpen: async (store) => {
      await importJsonState(store, config.dataDir, [OFFICERS_JSON, ...definition.imports]);
    },
  });
  const { store } = runtime;
  const officers = new OfficerStore(store, config.dataDir, config.adminToken);
  const app = await createHttpApp({
    title: definition.title,
    description: definition.description,
    version: '1.0.0',
    logLevel: config.logLevel,
    bodyLimit: config.bodyLimit,
    rateLimitPerMinute: config.rateLimitPerMinute,
    health: () => runtime.health(),
    metrics,
  });
  const timers: NodeJS.Timeout[] = [];
  const schedule = (name: string, sweep: () => Promise<void>): void => {
    const run = (): void => {
      sweep().catch((err: unknown) => {
        app.log.warn({ sweep: name, code: err instanceof KycError ? err.code : 'KYC_INTERNAL' }, 'sweep failed');
      });
    };
    timers.push(setInterval(run, config.store.sweepSeconds * 1000).unref());
  };
  await app.register(await definition.routes({ runtime, store, officers, metrics, schedule }));
  const storeHealth = await store.health();
  if (storeHealth.ok) app.log.info({ store: store.backend, encrypted: store.encrypted }, 'state store');
  // The reason is a StoreError message: no PIN, password or personal value.
  else app.log.warn({ reason: storeHealth.reason }, 'state store unavailable; retrying');
  let closing = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    for (const timer of timers) clearInterval(timer);
    await app.close();
    await runtime.close();
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen({ host: config.host, port: config.port });
  app.log.info({ url: config.publicUrl, mspId: config.mspId }, `${definition.name} service ready`);
}

/** Runs `start` as a process entry point: any start-up failure ends the process with status 1. */
export function runMain(start: () => Promise<void>): void {
  start().catch((err: unknown) => {
    process.stderr.write(`start-up failed: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof Error && err.cause instanceof Error) {
      process.stderr.write(`cause: ${err.cause.message}\n`);
    }
    process.exit(1);
  });
}
