import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PROCESS_KINDS, type ProcessKind } from './report/results';

/**
 * CPU time spent by each kind of process of a network instance, from the kernel's own counters
 * (/proc/<pid>/stat utime + stime, children's included once they are reaped). The processes are the ones the
 * project's scripts started: network/data/<instance>/pids/*.pid (peers, orderers, chaincode servers) and
 * services/data/<instance>/pids/*.pid, plus any processes the benchmark started itself (`extra`). The
 * benchmark's own process is `client`, counted from process.cpuUsage().
 */

const ROOT = resolve(__dirname, '../..');
/** Clock ticks per second of /proc's counters: USER_HZ, 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

export type CpuSample = Readonly<Record<ProcessKind, number>>; // milliseconds

function kindOf(pidFile: string, service: boolean): ProcessKind | undefined {
  if (service) return 'service';
  if (pidFile.startsWith('peer')) return 'peer';
  if (pidFile.startsWith('orderer')) return 'orderer';
  if (pidFile.startsWith('cc-')) return 'ccserver';
  return undefined; // CAs: not on a transaction's path
}

function pidsIn(dir: string, service: boolean): [number, ProcessKind][] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.pid'));
  } catch {
    return [];
  }
  const found: [number, ProcessKind][] = [];
  for (const name of names) {
    const kind = kindOf(name, service);
    const pid = Number(readFileSync(join(dir, name), 'utf8').trim());
    if (kind !== undefined && Number.isInteger(pid) && pid > 0) found.push([pid, kind]);
  }
  return found;
}

/** utime + stime + cutime + cstime of `pid` in ms, or 0 when it is gone. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at field 3; utime is field 14.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i] ?? 0), 0);
    return (ticks * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Samples CPU by kind for the instance's processes (read afresh each time: processes may restart). */
export function cpuSampler(instance: string, extra: () => readonly [number, ProcessKind][] = () => []) {
  return (): CpuSample => {
    const totals = Object.fromEntries(PROCESS_KINDS.map((k) => [k, 0])) as Record<ProcessKind, number>;
    const processes = [
      ...pidsIn(join(ROOT, 'network', 'data', instance, 'pids'), false),
      ...pidsIn(join(ROOT, 'services', 'data', instance, 'pids'), true),
      ...extra(),
    ];
    for (const [pid, kind] of processes) totals[kind] += processCpuMs(pid);
    const own = process.cpuUsage();
    totals.client += (own.user + own.system) / 1000;
    return totals;
  };
}

/** CPU ms per operation by kind between two samples. */
export function cpuPerOp(before: CpuSample, after: CpuSample, ops: number): Partial<Record<ProcessKind, number>> {
  const perOp: Partial<Record<ProcessKind, number>> = {};
  for (const kind of PROCESS_KINDS) {
    const spent = after[kind] - before[kind];
    if (spent > 0 && ops > 0) perOp[kind] = spent / ops;
  }
  return perOp;
}
