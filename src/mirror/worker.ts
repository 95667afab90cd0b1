/**
 * Mirror pool thread (piscina). Each thread owns its own connectors to the
 * mirror backends, created when the thread starts: an undici Pool per HTTP canary, and a
 * child process per stdio canary (so a stdio canary runs `threads` children;
 * see ARCHITECTURE.md). It sends the copy, waits at most mirror.timeout_ms,
 * classifies the answer against the primary's, adds to the shared counters and
 * returns a small summary (the sample text only when the answers differ).
 * Runs with piscina atomics disabled so sockets and timers keep working between tasks.
 */
import { workerData } from 'node:worker_threads';
import { createBackend } from '../backends/factory.js';
import type { Backend, BackendState } from '../backends/backend.js';
import { RelayError } from '../errors.js';
import { createLogger } from '../util/log.js';
import type { LevelWithSilent } from 'pino';
import { SharedCounters } from './counters.js';
import { classify, compilePath, rawResultText, truncate, type Outcome } from './diff.js';
import type { MirrorSummary, MirrorTask, WorkerInit } from './task.js';

const init = workerData as WorkerInit;
const counters = new SharedCounters(init.counters);
/** The pool-wide gauges live in the slice after the last mirror link. */
const GAUGES = init.mirrors.length;
const log = createLogger({ level: init.logLevel as LevelWithSilent, json: init.jsonLogs }).child({ thread: 'mirror' });
const ignore = init.ignorePaths.map(compilePath);
const backends = new Map<string, Promise<Backend>>();

function connector(name: string): Promise<Backend> {
  let b = backends.get(name);
  if (!b) {
    const cfg = init.mirrors.find((m) => m.name === name);
    if (!cfg) return Promise.reject(new Error(`unknown mirror backend ${name}`));
    const link = init.mirrors.indexOf(cfg);
    const backend = createBackend(cfg, {
      clientName: init.clientName,
      clientVersion: init.clientVersion,
      log,
      timeoutMs: init.timeoutMs,
      connections: init.concurrency,
      hooks: { onState: (_b, state) => reportState(link, state) },
    });
    b = backend.start().then(() => backend);
    backends.set(name, b);
  }
  return b;
}

/**
 * Tells the main thread (through shared counts) whether this thread's connector to a
 * canary is ready or down, so it stops posting copies that can only fail. A reconnect
 * attempt ('starting') keeps the thread counted as down until it is 'ready' again, so a
 * canary that keeps refusing connections is not sent a burst on every retry.
 */
const ready = new Set<number>();
const down = new Set<number>();
function reportState(link: number, state: BackendState): void {
  const isReady = state === 'ready';
  const isDown = state === 'down' || (state === 'starting' && down.has(link));
  if (isReady !== ready.has(link)) {
    counters.add(link, 'canary_ready_threads', isReady ? 1n : -1n);
    if (isReady) ready.add(link); else ready.delete(link);
  }
  if (isDown !== down.has(link)) {
    counters.add(link, 'canary_down_threads', isDown ? 1n : -1n);
    if (isDown) down.add(link); else down.delete(link);
  }
}

// Connect to every canary when the thread starts rather than on the first copy: the
// connection is warm for the first copy, and a thread that replaces a crashed one
// reports its own state instead of inheriting a stale one.
for (const m of init.mirrors) void connector(m.name);

function parseRaw(raw: string): Outcome {
  const msg = JSON.parse(raw) as { result?: unknown; error?: unknown };
  return msg.error !== undefined ? { kind: 'error', error: msg.error } : { kind: 'result', value: msg.result };
}

function primaryOutcome(task: MirrorTask): Outcome {
  if (task.primaryTooLarge) return { kind: 'not_compared', reason: 'primary result larger than mirror.max_result_bytes' };
  if (task.primaryFailure !== undefined) return { kind: 'error', error: task.primaryFailure };
  return parseRaw(task.primaryRaw!);
}

/** At most `concurrency` copies in flight on this thread, across batches. */
let inFlight = 0;
const waiters: (() => void)[] = [];
async function slot(): Promise<void> {
  if (inFlight < init.concurrency) {
    inFlight++;
    return;
  }
  await new Promise<void>((r) => waiters.push(r));
}
function release(): void {
  const next = waiters.shift();
  if (next) next();
  else inFlight--;
}

/** One batch from the main thread; summaries come back in the same order. */
export default function mirrorBatch(tasks: MirrorTask[]): Promise<MirrorSummary[]> {
  // The main thread counted these in pool_waiting; each leaves it when it gets a slot.
  return Promise.all(
    tasks.map(async (task) => {
      await slot();
      counters.add(GAUGES, 'pool_waiting', -1n);
      counters.add(GAUGES, 'in_flight');
      try {
        return await mirrorCall(task);
      } finally {
        counters.add(GAUGES, 'in_flight', -1n);
        release();
      }
    }),
  );
}

async function mirrorCall(task: MirrorTask): Promise<MirrorSummary> {
  counters.add(task.link, 'sent');
  const started = performance.now();
  let canary: Outcome | undefined;
  let canaryRaw: string | undefined;
  let outcome: MirrorSummary['outcome'];
  try {
    const backend = await connector(task.mirror);
    const reply = await backend.request(task.method, task.params, { timeoutMs: init.timeoutMs });
    canaryRaw = reply.raw;
    outcome = 'succeeded';
  } catch (err) {
    if (err instanceof RelayError && err.code === 'BACKEND_TIMEOUT') {
      canary = { kind: 'timeout' };
      outcome = 'timed_out';
    } else {
      canary = { kind: 'error', error: err instanceof Error ? err.message : String(err) };
      outcome = 'failed';
    }
  }
  const canaryLatencyUs = Math.round((performance.now() - started) * 1000);
  counters.add(task.link, outcome);
  let diff: MirrorSummary['diff'];
  try {
    // Identical result text needs no parsing or deep comparison (the common case).
    const canaryText = ignore.length === 0 && canaryRaw !== undefined && task.primaryRaw !== undefined ? rawResultText(canaryRaw) : undefined;
    const same = canaryText !== undefined && canaryText === rawResultText(task.primaryRaw!);
    diff = same ? 'same' : classify(primaryOutcome(task), canary ?? parseRaw(canaryRaw!), ignore);
  } catch {
    diff = 'not_compared';
  }
  counters.add(task.link, diff);
  const summary: MirrorSummary = { link: task.link, tool: task.tool, outcome, diff, canaryLatencyUs };
  if (diff !== 'same') {
    const max = init.sampleFieldBytes;
    const primary = task.primaryRaw ?? task.primaryFailure ?? '(not kept: too large)';
    const co = canary ?? parseRaw(canaryRaw!);
    const c = co.kind === 'result' ? co.value : co.kind === 'error' ? { error: co.error } : co;
    summary.sample = { request: truncate({ method: task.method, params: task.params }, max), primary: truncate(primary, max), canary: truncate(c, max) };
  }
  return summary;
}

/** piscina calls this on pool.destroy(): stop children and sockets. */
export async function closeConnectors(): Promise<void> {
  await Promise.allSettled([...backends.values()].map(async (p) => (await p).close()));
}
