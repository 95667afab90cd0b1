/**
 * Latency histograms in microseconds (hdr-histogram-js, 3 significant digits).
 * Cells carry their histogram encoded (compressed base64) so repeated cells and
 * JSON files can be merged later: decode, add, and only then read percentiles.
 * Percentiles are never averaged.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export interface LatencySummary {
  count: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
}

export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

export function encode(h: Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decode(s: string): Histogram {
  return hdr.decodeFromCompressedBase64(s);
}

/** Merges encoded histograms into one (the right way to combine runs). */
export function merge(encoded: readonly string[]): Histogram {
  const out = newHistogram();
  for (const e of encoded) {
    const h = decode(e);
    out.add(h);
    h.destroy();
  }
  return out;
}

export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50Us: 0, p90Us: 0, p99Us: 0, p999Us: 0, maxUs: 0, meanUs: 0 };
  return {
    count: h.totalCount,
    p50Us: h.getValueAtPercentile(50),
    p90Us: h.getValueAtPercentile(90),
    p99Us: h.getValueAtPercentile(99),
    p999Us: h.getValueAtPercentile(99.9),
    maxUs: h.maxValue,
    meanUs: Math.round(h.mean),
  };
}
