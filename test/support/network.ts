import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** What a finished `network/network.sh` run left behind. */
export interface ScriptResult {
  /** Exit code (`null` when a signal ended it). */
  readonly code: number | null;
  /** stdout and stderr, interleaved as written. */
  readonly output: string;
}

/** Options of {@link runNetworkScript}. */
export interface RunOptions {
  /** Environment overrides, e.g. `KYC_INSTANCE`, `KYC_PORT_OFFSET`. */
  readonly env?: Readonly<Record<string, string>>;
  /** Copy the script's output to this process's stderr as it comes (progress in long runs). */
  readonly echo?: boolean;
}

/**
 * The repository root: the nearest ancestor of this module holding `network/network.sh` (works from
 * `test/support` and from `dist/test/support`).
 *
 * @throws Error when no ancestor has the script.
 */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'network', 'network.sh'))) {
      return dir;
    }
    if (dirname(dir) === dir) {
      throw new Error(`network/network.sh not found above ${__dirname}`);
    }
  }
}

/** The instance the integration suite uses: `KYC_INSTANCE`, default `main`. */
export function suiteInstance(): string {
  const instance = process.env.KYC_INSTANCE;
  return instance !== undefined && instance !== '' ? instance : 'main';
}

/** Absolute path of an instance's network.json (it exists once `up` has finished). */
export function networkJsonPath(instance: string = suiteInstance()): string {
  return join(repoRoot(), 'crypto-config', 'generated', instance, 'network.json');
}

/**
 * Runs `network/network.sh <args...>` to completion. Never rejects for a non-zero exit: callers assert on
 * {@link ScriptResult.code}.
 *
 * @throws Error only when bash cannot be started.
 */
export function runNetworkScript(args: readonly string[], options: Readonly<RunOptions> = {}): Promise<ScriptResult> {
  const root = repoRoot();
  return new Promise((resolvePromise, reject) => {
    const child = spawn('bash', [join(root, 'network', 'network.sh'), ...args], {
      cwd: root,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    const collect = (chunk: Buffer): void => {
      chunks.push(chunk);
      if (options.echo === true) {
        process.stderr.write(chunk);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => {
      resolvePromise({ code, output: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/**
 * Pids of the processes of `instance` that network.sh started (they carry
 * `KYC_NETWORK_PROCESS=<instance>/<node>` in their environment), found through /proc.
 */
export function instanceProcesses(instance: string): number[] {
  const marker = `KYC_NETWORK_PROCESS=${instance}/`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const zombie = stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
      if (!zombie && environ.split('\0').some((line) => line.startsWith(marker))) {
        pids.push(Number(entry));
      }
    } catch {
      // the process ended while we looked, or is not ours to read
    }
  }
  return pids;
}

let started = false;
let pending: Promise<string> | undefined;

/**
 * Makes sure the suite's network instance runs: reuses a healthy one (`network.sh status` exits 0), else
 * runs `network.sh up` and remembers that this process started it. Concurrent and repeated calls share
 * one attempt.
 *
 * @returns the absolute path of the instance's network.json.
 * @throws Error with the script's last output lines when `up` fails.
 */
export function ensureNetwork(): Promise<string> {
  pending ??= startOrReuse().catch((error: unknown) => {
    pending = undefined;
    throw error;
  });
  return pending;
}

async function startOrReuse(): Promise<string> {
  const instance = suiteInstance();
  const status = await runNetworkScript(['status'], { env: { KYC_INSTANCE: instance } });
  if (status.code !== 0 || !existsSync(networkJsonPath(instance))) {
    process.stderr.write(`network instance ${instance} is not running: starting it (network.sh up)\n`);
    const up = await runNetworkScript(['up'], { env: { KYC_INSTANCE: instance }, echo: true });
    if (up.code !== 0) {
      throw new Error(`network.sh up failed (exit ${String(up.code)}):\n${lastLines(up.output, 30)}`);
    }
    started = true;
  }
  return networkJsonPath(instance);
}

/**
 * Stops the suite's network with `network.sh down`, but only if {@link ensureNetwork} started it here.
 *
 * @throws Error when `down` fails.
 */
export async function releaseNetwork(): Promise<void> {
  if (!started) {
    return;
  }
  started = false;
  pending = undefined;
  const down = await runNetworkScript(['down'], { env: { KYC_INSTANCE: suiteInstance() } });
  if (down.code !== 0) {
    throw new Error(`network.sh down failed (exit ${String(down.code)}):\n${lastLines(down.output, 30)}`);
  }
}

/** Where a node's state lives: `network/data/<instance>/<node>` (its env file is `env` in there). */
export function nodeDataDir(instance: string, node: string): string {
  return resolve(repoRoot(), 'network', 'data', instance, node);
}

/** The last `count` lines of `text`, for error messages. */
export function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

/** `network/network.sh` of one instance (`KYC_INSTANCE`, `KYC_PORT_OFFSET` and any other variables in `env`). */
export function instanceNetwork(env: Readonly<Record<string, string>>): (...args: string[]) => Promise<ScriptResult> {
  return (...args) => runNetworkScript(args, { env });
}

/** Asserts that a script exited 0; otherwise fails with `what` and the script's last lines. */
export function assertSucceeded(result: ScriptResult, what: string): void {
  if (result.code !== 0) {
    throw new Error(`${what} failed (exit ${String(result.code)}):\n${lastLines(result.output, 40)}`);
  }
}
