import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNetworkConfig, serviceOf, serviceReplicaUrl } from '../../gateway/src/fabric';
import { networkJsonPath, repoRoot, suiteInstance } from './network';

/**
 * The certifier and bank service processes for end-to-end tests, started the way `./kyc start` starts them
 * (services/services.sh, the built `main.js`), or reused when already healthy. Stopped again only if started
 * here.
 */
export interface RunningServices {
  readonly certifierUrl: string;
  readonly bankUrl: string;
  readonly certifierAdminToken: string;
  readonly bankAdminToken: string;
  /** Stops the services if this process started them. */
  release(): void;
}

function servicesScript(
  command: string,
  extraEnv: Readonly<Record<string, string>> = {},
): { code: number | null; output: string } {
  const result = spawnSync('bash', [join(repoRoot(), 'services', 'services.sh'), command], {
    cwd: repoRoot(),
    env: { ...process.env, ...extraEnv, KYC_INSTANCE: suiteInstance() },
    encoding: 'utf8',
  });
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * Where replica `replica` of the suite instance's service `name` listens: network.json `services` (from
 * crypto-config/topology.json, the instance's port offset applied), replica i on port + 100·i.
 */
export function serviceUrl(name: string, replica = 0): string {
  return serviceReplicaUrl(serviceOf(loadNetworkConfig(networkJsonPath()), name), replica);
}

export function ensureServices(): RunningServices {
  const started = servicesScript('status').code !== 0;
  if (started) {
    const start = servicesScript('start');
    if (start.code !== 0) throw new Error(`services/services.sh start failed:\n${start.output}`);
  }
  const dataDir = join(repoRoot(), 'services', 'data', suiteInstance());
  const token = (service: string): string => readFileSync(join(dataDir, service, 'admin-token'), 'utf8').trim();
  return {
    certifierUrl: serviceUrl('certifier'),
    bankUrl: serviceUrl('bank'),
    certifierAdminToken: token('certifier'),
    bankAdminToken: token('bank'),
    release: () => {
      if (started) servicesScript('stop');
    },
  };
}

/**
 * Restarts both services with `extraEnv` added to their environment (e.g. low limits for one test); call it
 * again with `{}` to restore the usual configuration, also when the test fails. The script runs synchronously,
 * blocking the event loop while the old processes close their keep-alive connections; one turn of the loop
 * afterwards lets fetch see those closes before it would reuse one ("other side closed").
 */
export async function restartServices(extraEnv: Readonly<Record<string, string>>): Promise<void> {
  servicesScript('stop');
  const start = servicesScript('start', extraEnv);
  if (start.code !== 0) throw new Error(`services/services.sh start failed:\n${start.output}`);
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/** The services' state directory and log files of the suite's instance. */
export function serviceFiles(): { readonly dataDir: string; readonly logs: readonly string[] } {
  const logDir = join(repoRoot(), 'network', 'logs', suiteInstance());
  return {
    dataDir: join(repoRoot(), 'services', 'data', suiteInstance()),
    logs: loadNetworkConfig(networkJsonPath()).services.map((s) => join(logDir, `${s.name}-service.log`)),
  };
}

/**
 * A number read from a service's SQLite store by a separate read-only connection (the services run on SQLite
 * unless started with KYC_DB): e.g. `SELECT count(*) FROM nonces`.
 */
export function stateNumber(
  service: 'certifier' | 'bank',
  sql: string,
  ...params: readonly (string | number)[]
): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Database = require('better-sqlite3') as typeof import('better-sqlite3');
  const db = new Database(join(serviceFiles().dataDir, service, 'state.sqlite'), {
    readonly: true,
    fileMustExist: true,
  });
  try {
    const row = db
      .prepare(sql)
      .raw()
      .get(...params) as unknown[] | undefined;
    return Number(row?.[0] ?? 0);
  } finally {
    db.close();
  }
}
