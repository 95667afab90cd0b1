/**
 * The mirror engine: shared sampling counters, the bounded fastq queue and the
 * piscina pool, plus the main-thread view of results for /admin/mirror.
 *
 *   route has links? ──no──▶ primary only
 *        │ yes
 *   Atomics.add(eligible) → sampled? ──no──▶ primary only
 *        │ yes                       (after the primary reply is written)
 *   waiting < queue_size ? ──no──▶ dropped_queue_full++
 *        │ yes
 *   batch (≤ 128 copies or 20 ms) ──▶ fastq ──▶ piscina thread ──▶ canary
 *                                   (≤ concurrency copies in flight per thread)
 *                                                    │ diff, shared counters
 *                                                    ▼
 *                                       summary ──▶ per-tool stats, samples ring, latency histogram
 *
 * fastq's length() is O(n), so the bound uses our own `waiting` count.
 */
import type fastqModule from 'fastq';
import type { queueAsPromised } from 'fastq';
import type * as PiscinaModule from 'piscina';
import { load } from '../util/load.js';
import type { BackendConfig, RelayConfig } from '../config/schema.js';
import type { Reply } from '../backends/backend.js';
import { toRpcError } from '../errors.js';
import type { CallContext } from '../pipeline/types.js';
import type { Route } from '../catalog/catalog.js';
import type { Logger } from '../util/log.js';
import { SharedCounters } from './counters.js';
import { sample } from './sampler.js';
import { MirrorStats } from './stats.js';
import { compilePath } from './diff.js';
import type { MirrorSummary, MirrorTask, WorkerInit } from './task.js';

/**
 * Copies are posted to the pool in batches: each message wakes a pool thread and
 * then the main thread, which at low sampling rates costs more than the copy
 * itself. A batch is sent when it holds BATCH_MAX copies or BATCH_MS after its
 * first copy. fastq holds batches; a pool thread works on up to
 * BATCHES_PER_THREAD at once and keeps at most `concurrency` copies in flight.
 */
const BATCH_MAX = 128;
const BATCH_MS = 20;
const BATCHES_PER_THREAD = 4;

function flushBatch(engine: MirrorEngine): void {
  engine.flush();
}

export interface MirrorLink {
  readonly index: number;
  readonly mirror: string;
  readonly source: string;
  readonly percent: number;
  readonly readOnly: boolean;
  readonly tools: ReadonlySet<string> | null;
}

export interface MirrorOverrides {
  queue_size?: number | undefined;
  threads?: number | undefined;
  concurrency?: number | undefined;
  timeout_ms?: number | undefined;
}

export class MirrorEngine {
  readonly links: readonly MirrorLink[];
  readonly counters: SharedCounters;
  readonly stats: MirrorStats;
  readonly settings: RelayConfig['mirror'];
  readonly #bySource = new Map<string, MirrorLink[]>();
  readonly #pool: PiscinaModule.Piscina;
  readonly #queue: queueAsPromised<MirrorTask[], void>;
  #batch: MirrorTask[] = [];
  #flushTimer: NodeJS.Timeout | undefined;
  readonly #gauges: number;
  readonly #log: Logger;
  #closed = false;

  static fromConfig(cfg: RelayConfig, log: Logger, overrides: MirrorOverrides = {}): MirrorEngine | null {
    const mirrors = cfg.backends.filter((b) => b.mirror_of !== undefined);
    if (!mirrors.length) return null;
    const settings = { ...cfg.mirror };
    for (const [k, v] of Object.entries(overrides) as [keyof MirrorOverrides, number | undefined][]) if (v !== undefined) settings[k] = v;
    return new MirrorEngine(cfg, mirrors, settings, log);
  }

  private constructor(cfg: RelayConfig, mirrors: BackendConfig[], settings: RelayConfig['mirror'], log: Logger) {
    this.settings = settings;
    this.#log = log.child({ component: 'mirror' });
    for (const p of settings.ignore_paths) compilePath(p); // fail at startup, not in a worker
    this.links = mirrors.map((m, index) => ({
      index,
      mirror: m.name,
      source: m.mirror_of!,
      percent: m.mirror_percent ?? 100,
      readOnly: m.mirror_read_only,
      tools: m.mirror_tools ? new Set(m.mirror_tools) : null,
    }));
    for (const l of this.links) {
      const list = this.#bySource.get(l.source) ?? [];
      list.push(l);
      this.#bySource.set(l.source, list);
    }
    this.counters = SharedCounters.create(this.links.length);
    this.#gauges = this.links.length;
    this.stats = new MirrorStats(this.links, settings.sample_size);
    const init: WorkerInit = {
      mirrors,
      counters: this.counters.buffer,
      timeoutMs: settings.timeout_ms,
      ignorePaths: settings.ignore_paths,
      sampleFieldBytes: 4096,
      concurrency: settings.concurrency,
      logLevel: cfg.observability.log_level === 'info' ? 'warn' : cfg.observability.log_level,
      jsonLogs: cfg.observability.json_logs,
      clientName: `${cfg.proxy.name}-mirror`,
      clientVersion: cfg.proxy.version,
    };
    // Loaded here, not at import: a proxy without mirrors never loads the pool.
    const { Piscina } = load<typeof PiscinaModule>('piscina');
    const fastq = load<typeof fastqModule>('fastq');
    this.#pool = new Piscina({
      filename: new URL('./worker.js', import.meta.url).href,
      minThreads: settings.threads,
      maxThreads: settings.threads,
      concurrentTasksPerWorker: BATCHES_PER_THREAD,
      maxQueue: settings.threads * BATCHES_PER_THREAD,
      idleTimeout: 2 ** 31 - 1,
      atomics: 'disabled',
      recordTiming: false,
      workerData: init,
    });
    this.#queue = fastq.promise<unknown, MirrorTask[], void>((batch) => this.#run(batch), settings.threads * BATCHES_PER_THREAD);
  }

  /** Mirror links for a route, or null (precomputed once per route). */
  linksFor(route: Route): readonly MirrorLink[] | null {
    const all = this.#bySource.get(route.backend.name);
    if (!all) return null;
    const eligible = all.filter((l) => {
      if (route.kind !== 'tool') return true;
      if (l.readOnly && !route.readOnly) return false;
      return l.tools === null || l.tools.has(route.local);
    });
    return eligible.length ? eligible : null;
  }

  /** Counts eligibility and samples each link; returns the sampled ones or null. */
  sample(links: readonly MirrorLink[]): MirrorLink[] | null {
    let out: MirrorLink[] | null = null;
    for (const l of links) {
      if (sample(this.counters, l.index, l.percent)) (out ??= []).push(l);
    }
    return out;
  }

  /** Called after the primary reply was written. Never throws, never blocks. */
  submit(links: readonly MirrorLink[], ctx: CallContext, primary: Reply | unknown, latencyMs: number): void {
    if (this.#closed) return;
    // (a progressToken in _meta is dropped by the worker's connector: nobody relays the canary's progress)
    const params = ctx.params;
    // Per-tool stats are keyed by tool or prompt name (bounded by the catalog); resource
    // reads by backend, since URIs are unbounded.
    const tool = ctx.route.kind === 'resource' ? `${ctx.route.backend.name}:resources/read` : ctx.route.exposed;
    const base = { tool, method: ctx.method, params, primaryLatencyUs: Math.round(latencyMs * 1000) };
    // Copies are bounded in bytes too: a request larger than max_result_bytes is not copied
    // (measured once, and only if some link would queue the copy).
    let tooLarge: boolean | undefined;
    let primaryPart: Partial<MirrorTask>;
    if (isReply(primary)) {
      primaryPart = primary.raw.length <= this.settings.max_result_bytes ? { primaryRaw: primary.raw } : { primaryTooLarge: true };
    } else {
      primaryPart = { primaryFailure: JSON.stringify(toRpcError(primary)) };
    }
    for (const l of links) {
      // While the pool threads have this canary down (shared counts), posting copies that
      // can only fail would cost the main thread a message each; their supervisors keep
      // reconnecting in the background.
      if (!this.counters.canaryUp(l.index)) {
        this.counters.add(l.index, 'dropped_canary_down');
        continue;
      }
      if (this.waiting >= this.settings.queue_size) {
        this.counters.add(l.index, 'dropped_queue_full');
        continue;
      }
      tooLarge ??= JSON.stringify(params).length > this.settings.max_result_bytes;
      if (tooLarge) {
        this.counters.add(l.index, 'dropped_too_large');
        continue;
      }
      this.counters.add(this.#gauges, 'queue_depth');
      this.counters.add(l.index, 'enqueued');
      this.#batch.push({ link: l.index, mirror: l.mirror, ...base, ...primaryPart });
    }
    if (this.#batch.length >= BATCH_MAX) this.flush();
    else if (this.#batch.length && !this.#flushTimer) this.#flushTimer = setTimeout(flushBatch, BATCH_MS, this);
  }

  /** Hands the copies collected so far to the queue as one batch (one message to a pool thread). */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (!this.#batch.length) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#queue.push(batch).catch(() => undefined);
  }

  /** Copies waiting anywhere: in the current batch, in fastq, or at a pool thread for a slot. */
  get waiting(): number {
    return this.counters.get(this.#gauges, 'queue_depth') + this.counters.get(this.#gauges, 'pool_waiting');
  }

  get inFlight(): number {
    return this.counters.get(this.#gauges, 'in_flight');
  }

  async #run(batch: MirrorTask[]): Promise<void> {
    // Hand the copies' count to the pool in one step, so they are never counted nowhere:
    // the pool thread takes each one off pool_waiting when it gets a slot.
    this.counters.add(this.#gauges, 'pool_waiting', BigInt(batch.length));
    this.counters.add(this.#gauges, 'queue_depth', BigInt(-batch.length));
    try {
      const summaries = (await this.#pool.run(batch)) as MirrorSummary[];
      summaries.forEach((s, i) => this.stats.record(s, batch[i]!.primaryLatencyUs));
    } catch (err) {
      if (!this.#closed) {
        for (const t of batch) this.counters.add(t.link, 'failed');
        // the thread died: none of these copies will take its count off pool_waiting
        this.counters.add(this.#gauges, 'pool_waiting', BigInt(-batch.length));
        this.#log.warn({ err: (err as Error).message }, 'mirror batch failed in the pool');
      }
    }
  }

  /** Stops accepting copies, waits briefly for in-flight ones, logs the totals. */
  async close(graceMs = 1_000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#flushTimer);
    this.#batch = [];
    this.#queue.kill();
    const deadline = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const l of this.links) this.#log.info({ mirror: l.mirror, source: l.source, ...this.counters.snapshot(l.index) }, 'mirror totals');
    await this.#pool.destroy().catch(() => undefined);
  }
}

function isReply(x: unknown): x is Reply {
  return typeof x === 'object' && x !== null && typeof (x as Reply).raw === 'string' && typeof (x as Reply).idText === 'string';
}
