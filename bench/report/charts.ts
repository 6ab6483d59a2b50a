/**
 * The benchmark's charts, drawn from results.json alone as SVG files with Vega-Lite (rendered headless: no
 * canvas, no DOM). `chartSpecs` is pure, so the specs can be checked without rendering; `writeCharts` renders.
 * A run without baseline rows (no row has a `ratio`) has no ratio chart: ratio.svg is not written.
 */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Vega from 'vega';
// Types only (erased): under "moduleResolution": "node10" vega-lite's types are found by their path.
import type * as VegaLite from 'vega-lite/build/index';
import type { TopLevelSpec } from 'vega-lite/build/index';
import { PROCESS_KINDS, type BenchReport, type BenchRow } from './results';

export type ChartFile = 'throughput.svg' | 'latency.svg' | 'ratio.svg' | 'cpu.svg';

/** Where the throughput target sits, relative to the baseline contract. */
const TARGET_RATIO = 0.85;

const IN_FLIGHT = {
  field: 'inFlight',
  type: 'ordinal',
  title: 'In flight (concurrent operations)',
  axis: { labelAngle: 0 },
} as const;
const OPERATION = { field: 'operation', type: 'nominal', title: 'Operation' } as const;

/** What every chart shares: its title over the run it was measured in, and operation names left whole. */
function common(report: BenchReport, text: string) {
  const subtitle = `Run started ${report.startedAt} · ${report.host.cpus} CPUs · client keys: ${report.clientKeys}`;
  return { title: { text, subtitle }, config: { legend: { labelLimit: 0 } } } as const;
}

function throughput(report: BenchReport): TopLevelSpec {
  return {
    ...common(report, 'Throughput: successful operations per second by level in flight'),
    data: { values: report.rows.map((r) => ({ operation: r.operation, inFlight: r.inFlight, tps: r.tps })) },
    width: 480,
    height: 300,
    mark: { type: 'line', point: true },
    encoding: {
      x: IN_FLIGHT,
      y: { field: 'tps', type: 'quantitative', title: 'Throughput (successful operations/s)' },
      color: OPERATION,
    },
  };
}

function latency(report: BenchReport): TopLevelSpec {
  const values = report.rows.flatMap((r) =>
    (['p50', 'p95', 'p99'] as const).map((p) => ({
      operation: r.operation,
      inFlight: r.inFlight,
      percentile: p,
      ms: r.latencyMs[p],
    })),
  );
  return {
    ...common(report, 'Latency percentiles (p50, p95, p99) by operation and level in flight'),
    data: { values },
    facet: { field: 'operation', type: 'nominal', title: null },
    columns: 3,
    // Queries and transactions differ by orders of magnitude: each operation gets its own latency axis.
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 220,
      height: 160,
      mark: { type: 'line', point: true },
      encoding: {
        x: IN_FLIGHT,
        y: { field: 'ms', type: 'quantitative', title: 'Latency (ms)' },
        color: { field: 'percentile', type: 'nominal', title: 'Percentile' },
      },
    },
  };
}

function ratio(report: BenchReport, rows: readonly BenchRow[]): TopLevelSpec {
  const values = rows.map((r) => ({ operation: r.operation, inFlight: r.inFlight, ratio: r.ratio }));
  return {
    ...common(report, `Throughput relative to the baseline contract (1.0 = baseline, dashed = ${TARGET_RATIO} target)`),
    width: 480,
    height: 300,
    layer: [
      {
        data: { values },
        mark: 'bar',
        encoding: {
          x: IN_FLIGHT,
          xOffset: { field: 'operation', type: 'nominal' },
          y: { field: 'ratio', type: 'quantitative', title: 'Ratio to baseline throughput (tps / baseline tps)' },
          color: OPERATION,
        },
      },
      {
        data: { values: [{ y: 1 }] },
        mark: { type: 'rule', color: 'black' },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: [{ y: TARGET_RATIO }] },
        mark: { type: 'rule', color: 'firebrick', strokeDash: [6, 4] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
    ],
  };
}

/** Each operation's row at its best level in flight (highest tps; the lower level on a tie). */
function bestRows(rows: readonly BenchRow[]): BenchRow[] {
  const best = new Map<string, BenchRow>();
  for (const row of rows) {
    const seen = best.get(row.operation);
    if (seen === undefined || row.tps > seen.tps || (row.tps === seen.tps && row.inFlight < seen.inFlight)) {
      best.set(row.operation, row);
    }
  }
  return [...best.values()];
}

function cpu(report: BenchReport): TopLevelSpec {
  const values = bestRows(report.rows).flatMap((r) => {
    const label = `${r.operation} (${r.inFlight} in flight)`;
    return PROCESS_KINDS.flatMap((kind, order) => {
      const ms = r.cpuMsPerOp[kind];
      return ms === undefined ? [] : [{ operation: r.operation, inFlight: r.inFlight, label, kind, order, ms }];
    });
  });
  return {
    ...common(report, "CPU per operation by process, at each operation's best level in flight"),
    data: { values },
    width: 480,
    mark: 'bar',
    encoding: {
      y: { field: 'label', type: 'nominal', title: 'Operation', axis: { labelLimit: 0 } },
      x: { field: 'ms', type: 'quantitative', stack: 'zero', title: 'CPU time per successful operation (ms)' },
      // A fixed domain and order keep each process's colour and place the same from run to run.
      color: { field: 'kind', type: 'nominal', title: 'Process', scale: { domain: [...PROCESS_KINDS] } },
      order: { field: 'order', type: 'quantitative' },
    },
  };
}

/** The Vega-Lite specs by file name; no ratio chart when no row has a ratio to the baseline. */
export function chartSpecs(report: BenchReport): Partial<Record<ChartFile, TopLevelSpec>> {
  const ratioRows = report.rows.filter((r) => r.ratio !== undefined);
  return {
    'throughput.svg': throughput(report),
    'latency.svg': latency(report),
    ...(ratioRows.length > 0 ? { 'ratio.svg': ratio(report, ratioRows) } : {}),
    'cpu.svg': cpu(report),
  };
}

// vega and vega-lite ship as ES modules only, and vega-canvas awaits at its top level, so require() cannot
// load them, and this CommonJS build turns a plain import() into require(): the compiler must not see this one.
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const importModule = new Function('url', 'return import(url)') as (url: string) => Promise<unknown>;

async function loadVega(): Promise<{ vega: typeof Vega; vegaLite: typeof VegaLite }> {
  // Resolved here, from this file, so the import does not depend on the working directory.
  const load = (name: string) => importModule(pathToFileURL(require.resolve(name)).href);
  const [vega, vegaLite] = await Promise.all([load('vega'), load('vega-lite')]);
  return { vega: vega as typeof Vega, vegaLite: vegaLite as typeof VegaLite };
}

/** Renders each chart to `dir`/<name>.svg (mode 0644) and returns the paths written. */
export async function writeCharts(report: BenchReport, dir: string): Promise<string[]> {
  const { vega, vegaLite } = await loadVega();
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, spec] of Object.entries(chartSpecs(report))) {
    const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    const path = join(dir, name);
    await writeFile(path, svg, { mode: 0o644 });
    await chmod(path, 0o644); // mode above applies only to a new file, and through the umask
    written.push(path);
  }
  return written;
}
