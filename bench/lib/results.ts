/**
 * Result shapes (what goes into the JSON file) and the aggregation of repeated
 * cells: req/s and CPU use the median over repetitions; latency percentiles
 * come from the merged histogram of all repetitions; counts are summed.
 */
import { merge, summarize, type LatencySummary } from './histogram.js';
import type { MachineInfo } from './proc.js';
import type { LoadResult } from './load.js';

/** One measured cell: the load result plus where it ran and what it cost. */
export interface Cell extends Omit<LoadResult, 'connections'> {
  scenario: string;
  rep: number;
  c: number;
  attempts: number;
  proxyCores: number;
  proxyUsPerCall: number;
  backendCores: number;
  backendUsPerCall: number;
  loadgenCores: number;
  loadgenUsPerCall: number;
  machineBusyCores: number;
  foreignCores: number;
  stealCores: number;
  noisy: boolean;
  proxyProcs: string[];
  mem: { mainHwmMiB: number; mainRssMiB: number; treeHwmMiB: number; treeRssMiB: number };
  /** VmRSS of the main measured process, sampled every second of the cell (MiB). */
  rssTimelineMiB: number[];
}

export interface ScenarioRun {
  scenario: string;
  rep: number;
  ok: boolean;
  error?: string;
  startMs?: number;
  rssAfterWarmupMiB?: number;
  mirror?: unknown;
}

export interface Row {
  scenario: string;
  c: number;
  reps: number;
  reqPerS: number;
  reqPerSReps: number[];
  latency: LatencySummary;
  p50UsReps: number[];
  p99UsReps: number[];
  errors: number;
  non2xx: number;
  timeouts: number;
  mismatches: number;
  ok: number;
  proxyCores: number;
  proxyUsPerCall: number;
  backendUsPerCall: number;
  loadgenCores: number;
  machineBusyCores: number;
  foreignCores: number;
  noisy: boolean;
  peakRssMiB: number;
  treePeakRssMiB: number;
  rssAfterMiB: number;
  contentType: string;
}

export interface RunFile {
  kind: 'mcp-relay-bench';
  version: 1;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  options: Record<string, unknown>;
  scenarios: { name: string; description: string }[];
  runs: ScenarioRun[];
  cells: Cell[];
  rows: Row[];
  targets: TargetResult[];
}

export interface TargetResult {
  id: string;
  label: string;
  c?: number;
  value: number | null;
  goal: string;
  pass: boolean | null;
  detail: string;
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function aggregate(cells: readonly Cell[], order: readonly string[]): Row[] {
  const by = new Map<string, Cell[]>();
  for (const c of cells) {
    const k = `${c.scenario}\u0000${c.c}`;
    const list = by.get(k);
    if (list) list.push(c);
    else by.set(k, [c]);
  }
  const rows: Row[] = [];
  for (const list of by.values()) {
    const first = list[0]!;
    const h = merge(list.map((c) => c.hist));
    const latency = summarize(h);
    h.destroy();
    rows.push({
      scenario: first.scenario,
      c: first.c,
      reps: list.length,
      reqPerS: median(list.map((c) => c.reqPerS)),
      reqPerSReps: list.map((c) => c.reqPerS),
      latency,
      p50UsReps: list.map((c) => c.latency.p50Us),
      p99UsReps: list.map((c) => c.latency.p99Us),
      errors: sum(list, 'errors'),
      non2xx: sum(list, 'non2xx'),
      timeouts: sum(list, 'timeouts'),
      mismatches: sum(list, 'mismatches'),
      ok: sum(list, 'ok'),
      proxyCores: median(list.map((c) => c.proxyCores)),
      proxyUsPerCall: median(list.map((c) => c.proxyUsPerCall)),
      backendUsPerCall: median(list.map((c) => c.backendUsPerCall)),
      loadgenCores: median(list.map((c) => c.loadgenCores)),
      machineBusyCores: median(list.map((c) => c.machineBusyCores)),
      foreignCores: Math.max(...list.map((c) => c.foreignCores)),
      noisy: list.some((c) => c.noisy),
      peakRssMiB: Math.max(...list.map((c) => c.mem.mainHwmMiB)),
      treePeakRssMiB: Math.max(...list.map((c) => c.mem.treeHwmMiB)),
      rssAfterMiB: Math.max(...list.map((c) => c.mem.mainRssMiB)),
      contentType: first.contentType,
    });
  }
  const idx = (s: string): number => {
    const i = order.indexOf(s);
    return i < 0 ? order.length : i;
  };
  return rows.sort((a, b) => idx(a.scenario) - idx(b.scenario) || a.c - b.c);
}

function sum(list: readonly Cell[], k: 'errors' | 'non2xx' | 'timeouts' | 'mismatches' | 'ok'): number {
  return list.reduce((t, c) => t + c[k], 0);
}
