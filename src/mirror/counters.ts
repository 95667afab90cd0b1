/**
 * Mirror counters in shared memory. One BigInt64Array slice per mirror link,
 * incremented with Atomics.add by the main thread (sampling, queueing) and by
 * the pool threads (sends, outcomes, diff classes), read by /admin/mirror and
 * /admin/metrics without messaging anyone. 64-bit so the sampling counter
 * never wraps (exactness would break at a 2^32 wrap: 2^32 is not a multiple of 100).
 */
export const COUNTERS = [
  'eligible', 'sampled', 'enqueued', 'dropped_queue_full', 'dropped_too_large', 'dropped_canary_down', 'sent', 'succeeded', 'failed', 'timed_out',
  'same', 'content_differs', 'canary_error_only', 'primary_error_only', 'both_error', 'canary_timeout', 'not_compared',
  'queue_depth', 'pool_waiting', 'in_flight',
  /** Pool threads whose connector to this mirror is ready / has failed and not yet recovered. */
  'canary_ready_threads', 'canary_down_threads',
] as const;
/** Per-link gauges and thread states, reported separately from the event counters. */
export const STATE_SLOTS = ['queue_depth', 'pool_waiting', 'in_flight', 'canary_ready_threads', 'canary_down_threads'] as const satisfies readonly CounterName[];
export type CounterName = (typeof COUNTERS)[number];
export const DIFF_CLASSES = ['same', 'content_differs', 'canary_error_only', 'primary_error_only', 'both_error', 'canary_timeout', 'not_compared'] as const;
export type DiffClass = (typeof DIFF_CLASSES)[number];

const INDEX = Object.fromEntries(COUNTERS.map((n, i) => [n, i])) as Record<CounterName, number>;
export const STRIDE = COUNTERS.length;

export class SharedCounters {
  readonly array: BigInt64Array;
  constructor(buffer: SharedArrayBuffer) {
    this.array = new BigInt64Array(buffer);
  }
  static create(links: number): SharedCounters {
    // +1 slice for pool-wide gauges (queue depth, in flight) at the end.
    return new SharedCounters(new SharedArrayBuffer(8 * STRIDE * (links + 1)));
  }
  get buffer(): SharedArrayBuffer {
    return this.array.buffer as SharedArrayBuffer;
  }
  /** Atomically adds `by` and returns the previous value. */
  add(link: number, name: CounterName, by = 1n): bigint {
    return Atomics.add(this.array, link * STRIDE + INDEX[name], by);
  }
  set(link: number, name: CounterName, value: bigint): void {
    Atomics.store(this.array, link * STRIDE + INDEX[name], value);
  }
  get(link: number, name: CounterName): number {
    return Number(Atomics.load(this.array, link * STRIDE + INDEX[name]));
  }
  /**
   * False when some pool thread found this mirror's canary down and none has it ready:
   * copies are then dropped (dropped_canary_down) instead of posted to fail.
   */
  canaryUp(link: number): boolean {
    return !(this.get(link, 'canary_down_threads') > 0 && this.get(link, 'canary_ready_threads') === 0);
  }
  snapshot(link: number): Record<CounterName, number> {
    const out = {} as Record<CounterName, number>;
    for (const n of COUNTERS) out[n] = this.get(link, n);
    return out;
  }
}
