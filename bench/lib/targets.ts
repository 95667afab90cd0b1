/**
 * The issue #4 targets, computed from one run's rows (never across runs).
 * Ratios use median req/s (over repetitions) and merged-histogram latencies.
 * A target whose inputs are missing (scenario not run, or no such concurrency)
 * is reported with pass = null ("n/a").
 */
import type { Cell, Row, TargetResult } from './results.js';

export function computeTargets(rows: readonly Row[], cells: readonly Cell[]): TargetResult[] {
  const get = (s: string, c: number): Row | undefined => rows.find((r) => r.scenario === s && r.c === c);
  const cs = [...new Set(rows.map((r) => r.c))].filter((c) => c >= 8).sort((a, b) => a - b);
  const out: TargetResult[] = [];
  const ratio = (id: string, label: string, num: string, den: string | string[], goal: number, higher: boolean, c: number, pick: (r: Row) => number = (r) => r.reqPerS, show: (v: number) => string = fmt): void => {
    const a = get(num, c);
    const dens = (Array.isArray(den) ? den : [den]).map((d) => get(d, c));
    if (!a || dens.some((d) => !d)) {
      out.push({ id, label, c, value: null, goal: `${higher ? '≥' : '≤'} ${goal}`, pass: null, detail: 'not measured in this run' });
      return;
    }
    const dv = Math.max(...dens.map((d) => pick(d!)));
    const v = dv > 0 ? pick(a) / dv : NaN;
    out.push({ id, label, c, value: v, goal: `${higher ? '≥' : '≤'} ${goal}`, pass: Number.isFinite(v) ? (higher ? v >= goal : v <= goal) : false, detail: `${show(pick(a))} / ${show(dv)}` });
  };
  for (const c of cs) ratio('hop', 'proxied-minimal / raw-hop req/s', 'proxied-minimal', 'raw-hop', 0.95, true, c);
  for (const c of cs) {
    const r = get('proxied-minimal', c);
    out.push(
      r
        ? { id: 'cpu', label: 'proxied-minimal proxy CPU µs per call', c, value: r.proxyUsPerCall, goal: '≤ 120', pass: r.proxyUsPerCall <= 120, detail: `${r.proxyCores.toFixed(2)} cores` }
        : { id: 'cpu', label: 'proxied-minimal proxy CPU µs per call', c, value: null, goal: '≤ 120', pass: null, detail: 'not measured in this run' },
    );
  }
  {
    const a = get('proxied-minimal', 1);
    const f = get('floor', 1);
    out.push(
      a && f
        ? { id: 'p50', label: 'added p50 at c=1 over floor (ms)', c: 1, value: (a.latency.p50Us - f.latency.p50Us) / 1000, goal: '≤ 0.3', pass: a.latency.p50Us - f.latency.p50Us <= 300, detail: `${ms(a.latency.p50Us)} − ${ms(f.latency.p50Us)} ms` }
        : { id: 'p50', label: 'added p50 at c=1 over floor (ms)', c: 1, value: null, goal: '≤ 0.3', pass: null, detail: 'not measured in this run' },
    );
  }
  for (const c of cs) ratio('loaded', 'proxied-loaded / proxied-minimal req/s', 'proxied-loaded', 'proxied-minimal', 0.85, true, c);
  // Issue #5: the policy stack alone (no mirror) against no policy.
  for (const c of cs) ratio('policy', 'proxied-policy / proxied-minimal req/s', 'proxied-policy', 'proxied-minimal', 0.85, true, c);
  // Client authentication (a scoped bearer token on every request) should cost next to nothing.
  for (const c of cs) ratio('auth', 'proxied-auth / proxied-minimal req/s', 'proxied-auth', 'proxied-minimal', 0.95, true, c);
  for (const c of cs) ratio('stdio', 'stdio / max(mcp-proxy, supergateway) req/s', 'stdio', ['mcp-proxy', 'supergateway'], 3, true, c);
  for (const c of cs) ratio('mirror10', 'mirror-10 / proxied-minimal req/s', 'mirror-10', 'proxied-minimal', 0.95, true, c);
  for (const c of cs) ratio('slow-p99', 'mirror-slow p99 / proxied-minimal p99', 'mirror-slow', 'proxied-minimal', 1.1, false, c, (r) => r.latency.p99Us, (us) => `${ms(us)} ms`);
  for (const c of cs) ratio('dead-p99', 'mirror-dead p99 / proxied-minimal p99', 'mirror-dead', 'proxied-minimal', 1.1, false, c, (r) => r.latency.p99Us, (us) => `${ms(us)} ms`);
  for (const s of ['mirror-slow', 'mirror-dead']) out.push(rssFlat(s, cells));
  for (const c of cs) ratio('mirror100', 'mirror-100 / proxied-minimal req/s', 'mirror-100', 'proxied-minimal', 0.6, true, c);
  return out;
}

/**
 * "RSS flat": with a slow or dead canary the proxy must not hold more memory than
 * with a healthy one: peak RSS (VmHWM) ≤ 1.1 × mirror-100's peak (same mirror
 * machinery, same 100 % sampling, healthy canary). A per-call leak or an
 * unbounded queue at 10-20k calls/s would exceed that within a cell. The detail
 * also gives the largest VmRSS growth over the second half of a c ≥ 8 cell
 * (VmRSS is sampled every second), which on 5-s cells is mostly GC sawtooth.
 */
function rssFlat(scenario: string, cells: readonly Cell[]): TargetResult {
  const label = `${scenario} peak RSS / mirror-100 peak RSS (flat memory)`;
  const mine = cells.filter((c) => c.scenario === scenario);
  const ref = cells.filter((c) => c.scenario === 'mirror-100');
  if (!mine.length || !ref.length) return { id: 'rss', label, value: null, goal: '≤ 1.1', pass: null, detail: 'not measured in this run' };
  const peak = Math.max(...mine.map((c) => c.mem.mainHwmMiB));
  const refPeak = Math.max(...ref.map((c) => c.mem.mainHwmMiB));
  let growth = -Infinity;
  for (const c of mine) {
    const t = c.rssTimelineMiB;
    if (c.c < 8 || t.length < 3) continue;
    growth = Math.max(growth, Math.max(...t.slice(Math.floor(t.length / 2))) - Math.max(...t.slice(0, Math.floor(t.length / 2))));
  }
  const v = peak / refPeak;
  const g = Number.isFinite(growth) ? `; largest 2nd-half VmRSS growth in a c≥8 cell ${growth.toFixed(1)} MiB` : '';
  return { id: 'rss', label, value: v, goal: '≤ 1.1', pass: v <= 1.1, detail: `${peak} / ${refPeak} MiB${g}` };
}

function fmt(v: number): string {
  return v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);
}

function ms(us: number): string {
  return (us / 1000).toFixed(us >= 1000 ? 2 : 3);
}
