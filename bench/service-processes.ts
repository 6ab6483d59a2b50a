import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freshOfficerName } from '../demo/src/flow';
import { serviceClient, type ServiceClient } from '../demo/src/service-client';
import { loadNetworkConfig, networkConfigPath, serviceOf } from '../gateway/src/fabric';

/**
 * A certifier and a bank service started by a benchmark beside whatever runs: the same code as
 * `./kyc start`'s services, against the same network, on spare ports (the service's port + `portShift`)
 * with a throwaway data directory (SQLite), and with the per-client limits raised, because one load
 * generator makes every request. Each gets a freshly enrolled officer.
 */

const ROOT = resolve(__dirname, '../..');

/** One client address makes all the load: per-client caps go up; the load's people are certified at level 1. */
export const BENCH_SERVICE_ENV: Readonly<Record<string, string>> = {
  KYC_LOG_LEVEL: 'warn',
  KYC_RATE_LIMIT: '1000000',
  KYC_MAX_NONCES_PER_CLIENT: '10000',
  KYC_MAX_OPEN_REGISTRATIONS_PER_OFFICER: '100000',
  KYC_MAX_OPEN_REGISTRATIONS: '100000',
  KYC_MAX_PENDING_CERTIFICATIONS: '100000',
  KYC_MIN_LEVEL: '1',
};

export interface BenchServices {
  readonly certifierUrl: string;
  readonly bankUrl: string;
  readonly certOfficer: ServiceClient;
  readonly bankOfficer: ServiceClient;
  readonly processes: readonly ChildProcess[];
  readonly dir: string;
}

function shiftedPort(name: 'certifier' | 'bank', portShift: number): number {
  return serviceOf(loadNetworkConfig(networkConfigPath()), name).port + portShift;
}

async function healthy(url: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    const answer = await fetch(`${url}/healthz`).catch(() => undefined);
    if (answer?.status === 200) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not become healthy`);
}

/**
 * `KYC_BENCH_CPU_PROF=<dir>` runs the services under V8's sampling profiler (docs/performance.md): each
 * writes a .cpuprofile into <dir> when it stops, for Chrome DevTools or `speedscope`.
 */
function profilerArgs(): string[] {
  const dir = process.env.KYC_BENCH_CPU_PROF;
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** Starts both services with `env` added to BENCH_SERVICE_ENV; stops them again if they do not come up. */
export async function startBenchServices(
  label: string,
  portShift: number,
  env: Readonly<Record<string, string>> = {},
): Promise<BenchServices> {
  const dir = mkdtempSync(join(tmpdir(), `kyc-bench-services-${label}-`));
  const adminToken = randomBytes(32).toString('base64url');
  const processes = (['certifier', 'bank'] as const).map((service) =>
    spawn('node', [...profilerArgs(), join(ROOT, 'dist/services/src', service, 'main.js')], {
      env: {
        ...process.env,
        ...BENCH_SERVICE_ENV,
        ...env,
        KYC_PORT: String(shiftedPort(service, portShift)),
        KYC_DATA_DIR: join(dir, service),
        KYC_ADMIN_TOKEN: adminToken,
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    }),
  );
  for (const p of processes) {
    p.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    p.on('exit', (code) => {
      if (code !== null && code !== 0) process.stderr.write(`bench: a ${label} service exited (${String(code)})\n`);
    });
  }
  const partial = { processes, dir };
  try {
    const certifierUrl = `http://127.0.0.1:${String(shiftedPort('certifier', portShift))}`;
    const bankUrl = `http://127.0.0.1:${String(shiftedPort('bank', portShift))}`;
    await Promise.all([healthy(certifierUrl), healthy(bankUrl)]);
    const enroll = async (url: string, prefix: string): Promise<ServiceClient> => {
      const { token } = await serviceClient(url, adminToken).post<{ token: string }>('/v1/officers', {
        name: freshOfficerName(prefix),
      });
      return serviceClient(url, token);
    };
    return {
      ...partial,
      certifierUrl,
      bankUrl,
      certOfficer: await enroll(certifierUrl, 'bench'),
      bankOfficer: await enroll(bankUrl, 'benchverifier'),
    };
  } catch (err) {
    await stopBenchServices(partial);
    throw err;
  }
}

/** SIGTERM (SIGKILL after 5 s) and removes the data directory. */
export async function stopBenchServices(services: Pick<BenchServices, 'processes' | 'dir'>): Promise<void> {
  await Promise.all(
    services.processes.map(
      (p) =>
        new Promise<void>((resolveExit) => {
          if (p.exitCode !== null || p.signalCode !== null) {
            resolveExit();
            return;
          }
          const force = setTimeout(() => p.kill('SIGKILL'), 5000);
          p.once('exit', () => {
            clearTimeout(force);
            resolveExit();
          });
          p.kill('SIGTERM');
        }),
    ),
  );
  rmSync(services.dir, { recursive: true, force: true });
}
