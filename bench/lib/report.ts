/**
 * Human output: the results table (stdout), the targets (PASS/MISS), a
 * Markdown summary and the comparison against a baseline JSON file.
 * Cells whose foreign load exceeded the noise threshold are marked `*`.
 */
import type { Row, RunFile, TargetResult } from './results.js';

const int = (v: number): string => Math.round(v).toLocaleString('en-US');
const msf = (us: number): string => {
  const v = us / 1000;
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
};

const HEAD = ['scenario', 'c', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'max ms', 'err', 'non2xx', 'mism', 'proxy cores', 'proxy µs/call', 'backend µs/call', 'loadgen cores', 'peak RSS MiB', 'foreign cores'];

function rowCells(r: Row): string[] {
  const mark = r.noisy ? '*' : '';
  return [
    r.scenario,
    String(r.c),
    int(r.reqPerS) + mark,
    msf(r.latency.p50Us),
    msf(r.latency.p90Us),
    msf(r.latency.p99Us),
    msf(r.latency.p999Us),
    msf(r.latency.maxUs),
    String(r.errors + r.timeouts),
    String(r.non2xx),
    String(r.mismatches),
    r.proxyCores.toFixed(2),
    int(r.proxyUsPerCall),
    r.backendUsPerCall > 0 ? int(r.backendUsPerCall) : '–',
    r.loadgenCores.toFixed(2),
    r.treePeakRssMiB > r.peakRssMiB + 1 ? `${int(r.peakRssMiB)} (+${int(r.treePeakRssMiB - r.peakRssMiB)})` : int(r.peakRssMiB),
    r.foreignCores.toFixed(2) + mark,
  ];
}

export function table(rows: readonly Row[]): string {
  const body = rows.map(rowCells);
  const widths = HEAD.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function targetsText(targets: readonly TargetResult[]): string {
  const skipped = targets.filter((t) => t.pass === null).length;
  const lines = targets
    .filter((t) => t.pass !== null)
    .map((t) => {
      const status = t.pass === null ? 'n/a ' : t.pass ? 'PASS' : 'MISS';
      const v = t.value === null ? '–' : t.value.toFixed(t.id === 'cpu' ? 0 : 3);
      return `${status}  ${t.label}${t.c !== undefined ? ` @c=${t.c}` : ''}: ${v} (target ${t.goal}; ${t.detail})`;
    });
  if (skipped) lines.push(`(${skipped} target(s) need scenarios or concurrencies this run did not measure)`);
  return lines.join('\n');
}

export function markdown(run: RunFile): string {
  const m = run.machine;
  const o = run.options;
  const out: string[] = [];
  out.push(`Run ${run.startedAt} → ${run.finishedAt}: ${m.cpuModel} × ${m.cores} cores, ${m.memGiB} GiB, ${m.os} (Linux ${m.kernel}), Node ${m.node}.`);
  out.push(`Options: duration ${String(o.duration)} s per cell, warm-up ${String(o.warmup)} s at c=8, connections ${String(o.connections)}, repeat ${String(o.repeat)}${Number(o.repeat) > 1 ? ' (ABBA order; req/s and CPU are medians, latencies from merged histograms)' : ''}, noise threshold ${String(o.noiseThreshold)} cores.`);
  out.push('');
  out.push(`| ${HEAD.join(' | ')} |`);
  out.push(`|${HEAD.map((_, i) => (i < 1 ? '---' : '---:')).join('|')}|`);
  for (const r of run.rows) out.push(`| ${rowCells(r).join(' | ')} |`);
  out.push('');
  out.push('`*` = foreign load above the noise threshold during the cell (after retries). "proxy" is the measured process tree (the floor itself for `floor`; mcp-relay plus its stdio child for `stdio`; the peer plus its stdio children for peers). Peak RSS is VmHWM of the main process (+ its children). err counts errors and timeouts.');
  out.push('');
  out.push('| status | target | c | value | goal | detail |');
  out.push('|---|---|---:|---:|---|---|');
  for (const t of run.targets) {
    const status = t.pass === null ? 'n/a' : t.pass ? 'PASS' : '**MISS**';
    out.push(`| ${status} | ${t.label} | ${t.c ?? ''} | ${t.value === null ? '–' : t.value.toFixed(t.id === 'cpu' ? 0 : 3)} | ${t.goal} | ${t.detail} |`);
  }
  const failed = run.runs.filter((r) => !r.ok);
  if (failed.length) {
    out.push('');
    for (const f of failed) out.push(`- scenario ${f.scenario} (rep ${f.rep}) failed: ${f.error ?? ''}`);
  }
  return out.join('\n') + '\n';
}

/** Per-cell deltas against a baseline run (req/s, p99, proxy µs per call). */
export function compare(base: RunFile, now: RunFile): string {
  const head = ['scenario', 'c', 'req/s base', 'req/s now', 'Δ', 'p99 ms base', 'p99 ms now', 'µs/call base', 'µs/call now'];
  const lines: string[][] = [];
  for (const r of now.rows) {
    const b = base.rows.find((x) => x.scenario === r.scenario && x.c === r.c);
    if (!b) continue;
    const d = b.reqPerS > 0 ? (r.reqPerS / b.reqPerS - 1) * 100 : NaN;
    const flag = Math.abs(d) >= 15 ? ' !' : '';
    lines.push([r.scenario, String(r.c), int(b.reqPerS), int(r.reqPerS), `${d >= 0 ? '+' : ''}${d.toFixed(1)}%${flag}`, msf(b.latency.p99Us), msf(r.latency.p99Us), int(b.proxyUsPerCall), int(r.proxyUsPerCall)]);
  }
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmtLine = (cells: string[]): string => cells.map((c, i) => (i < 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `compared with ${base.startedAt} (${base.machine.cpuModel} × ${base.machine.cores}, Node ${base.machine.node}); "!" marks |Δ| ≥ 15 %, the noise level of this kind of machine`,
    fmtLine(head),
    ...lines.map(fmtLine),
  ].join('\n');
}
