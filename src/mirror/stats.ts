/**
 * Main-thread view of mirror results: per-tool outcome and diff counts, a
 * bounded ring of recent differing samples, and HDR latency histograms
 * (canary and primary, µs) per mirror link. Memory is bounded: the ring has
 * mirror.sample_size entries of truncated text; per-tool maps are keyed by
 * exposed tool names, which the catalog bounds.
 */
import type * as hdr from 'hdr-histogram-js';
import { load } from '../util/load.js';
import type { MirrorLink } from './engine.js';
import { DIFF_CLASSES, type DiffClass } from './counters.js';
import type { MirrorSummary } from './task.js';

export interface DiffSample {
  at: string;
  mirror: string;
  tool: string;
  diff: DiffClass;
  primaryLatencyMs: number;
  canaryLatencyMs: number;
  request: string;
  primary: string;
  canary: string;
}

type ToolCounts = Record<DiffClass | 'succeeded' | 'failed' | 'timed_out', number>;

function histogram(): hdr.Histogram {
  return load<typeof hdr>('hdr-histogram-js').build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

export class MirrorStats {
  readonly #links: readonly MirrorLink[];
  readonly #perTool: Map<string, ToolCounts>[];
  readonly #canary: hdr.Histogram[];
  readonly #primary: hdr.Histogram[];
  readonly #ring: (DiffSample | undefined)[];
  #next = 0;

  constructor(links: readonly MirrorLink[], sampleSize: number) {
    this.#links = links;
    this.#perTool = links.map(() => new Map());
    this.#canary = links.map(histogram);
    this.#primary = links.map(histogram);
    this.#ring = new Array<DiffSample | undefined>(sampleSize).fill(undefined);
  }

  record(s: MirrorSummary, primaryLatencyUs: number): void {
    const tools = this.#perTool[s.link]!;
    let c = tools.get(s.tool);
    if (!c) {
      c = { succeeded: 0, failed: 0, timed_out: 0, ...Object.fromEntries(DIFF_CLASSES.map((d) => [d, 0])) } as ToolCounts;
      tools.set(s.tool, c);
    }
    c[s.outcome]++;
    c[s.diff]++;
    this.#canary[s.link]!.recordValue(Math.max(1, s.canaryLatencyUs));
    this.#primary[s.link]!.recordValue(Math.max(1, primaryLatencyUs));
    if (s.sample && this.#ring.length) {
      this.#ring[this.#next] = {
        at: new Date().toISOString(),
        mirror: this.#links[s.link]!.mirror,
        tool: s.tool,
        diff: s.diff,
        primaryLatencyMs: primaryLatencyUs / 1000,
        canaryLatencyMs: s.canaryLatencyUs / 1000,
        ...s.sample,
      };
      this.#next = (this.#next + 1) % this.#ring.length;
    }
  }

  perTool(link: number): Record<string, ToolCounts> {
    return Object.fromEntries(this.#perTool[link]!);
  }

  latency(link: number, which: 'canary' | 'primary'): Record<string, number> {
    const h = (which === 'canary' ? this.#canary : this.#primary)[link]!;
    const ms = (p: number): number => Math.round(h.getValueAtPercentile(p)) / 1000;
    return { count: h.totalCount, p50_ms: ms(50), p90_ms: ms(90), p99_ms: ms(99), p999_ms: ms(99.9), max_ms: h.maxValue / 1000 };
  }

  /** Newest first. */
  samples(): DiffSample[] {
    const out: DiffSample[] = [];
    for (let i = 1; i <= this.#ring.length; i++) {
      const s = this.#ring[(this.#next - i + this.#ring.length) % this.#ring.length];
      if (s) out.push(s);
    }
    return out;
  }
}
