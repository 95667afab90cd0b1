/**
 * A hand-written SVG chart of one run: req/s (top) and p99 latency (bottom, log
 * scale) per scenario, one bar per concurrency. No chart library; plain strings.
 */
import type { Row } from './results.js';

const COLORS = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function chart(rows: readonly Row[], title: string): string {
  const scenarios = [...new Set(rows.map((r) => r.scenario))];
  const cs = [...new Set(rows.map((r) => r.c))].sort((a, b) => a - b);
  const W = Math.max(760, 110 + scenarios.length * 78);
  const left = 70;
  const right = 20;
  const plotW = W - left - right;
  const groupW = plotW / Math.max(1, scenarios.length);
  const barW = Math.min(18, (groupW - 12) / Math.max(1, cs.length));
  const top1 = 76;
  const h1 = 210;
  const top2 = top1 + h1 + 78;
  const h2 = 190;
  const H = top2 + h2 + 86;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<text x="${left}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  // legend
  cs.forEach((c, i) => {
    const x = left + i * 70;
    out.push(`<rect x="${x}" y="32" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${x + 14}" y="41">c=${c}</text>`);
  });
  const get = (s: string, c: number): Row | undefined => rows.find((r) => r.scenario === s && r.c === c);

  // panel 1: req/s, linear
  const maxRps = niceMax(Math.max(...rows.map((r) => r.reqPerS)));
  out.push(`<text x="${left}" y="${top1 - 12}" font-weight="bold">req/s (higher is better)</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (maxRps * i) / 4;
    const y = top1 + h1 - (h1 * i) / 4;
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${Math.round(v).toLocaleString('en-US')}</text>`);
  }
  scenarios.forEach((s, gi) => {
    const gx = left + gi * groupW + (groupW - barW * cs.length) / 2;
    cs.forEach((c, ci) => {
      const r = get(s, c);
      if (!r) return;
      const h = (r.reqPerS / maxRps) * h1;
      const x = gx + ci * barW;
      out.push(`<rect x="${x.toFixed(1)}" y="${(top1 + h1 - h).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[ci % COLORS.length]}"><title>${esc(`${s} c=${c}: ${Math.round(r.reqPerS)} req/s${r.noisy ? ' (noisy)' : ''}`)}</title></rect>`);
      if (r.noisy) out.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(top1 + h1 - h - 3).toFixed(1)}" text-anchor="middle">*</text>`);
    });
  });
  out.push(`<line x1="${left}" x2="${W - right}" y1="${top1 + h1}" y2="${top1 + h1}" stroke="#333"/>`);

  // panel 2: p99 ms, log scale
  const p99s = rows.map((r) => Math.max(r.latency.p99Us, 1) / 1000);
  const lo = 10 ** Math.floor(Math.log10(Math.min(...p99s)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...p99s)));
  const yLog = (v: number): number => top2 + h2 - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo) || 1)) * h2;
  out.push(`<text x="${left}" y="${top2 - 12}" font-weight="bold">p99 latency, ms (log scale, lower is better)</text>`);
  for (let v = lo; v <= hi * 1.0001; v *= 10) {
    const y = yLog(v);
    out.push(`<line x1="${left}" x2="${W - right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#ddd"/><text x="${left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${v >= 1 ? v : v.toFixed(2)}</text>`);
  }
  scenarios.forEach((s, gi) => {
    const gx = left + gi * groupW + (groupW - barW * cs.length) / 2;
    cs.forEach((c, ci) => {
      const r = get(s, c);
      if (!r) return;
      const v = Math.max(r.latency.p99Us, 1) / 1000;
      const y = yLog(v);
      const x = gx + ci * barW;
      out.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(top2 + h2 - y).toFixed(1)}" fill="${COLORS[ci % COLORS.length]}"><title>${esc(`${s} c=${c}: p99 ${v.toFixed(2)} ms`)}</title></rect>`);
    });
    const lx = left + gi * groupW + groupW / 2;
    const ly = top2 + h2 + 14;
    out.push(`<text transform="translate(${lx.toFixed(1)},${ly}) rotate(-30)" text-anchor="end">${esc(s)}</text>`);
  });
  out.push(`<line x1="${left}" x2="${W - right}" y1="${top2 + h2}" y2="${top2 + h2}" stroke="#333"/>`);
  // scenario labels under panel 1 too
  scenarios.forEach((s, gi) => {
    const lx = left + gi * groupW + groupW / 2;
    out.push(`<text x="${lx.toFixed(1)}" y="${top1 + h1 + 14}" text-anchor="middle" font-size="9" fill="#555">${esc(s.length > 12 ? s.slice(0, 11) + '…' : s)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
