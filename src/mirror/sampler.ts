/**
 * Exact, evenly spread sampling on a shared counter.
 * Call n (0-based, from Atomics.add on shared memory, so unique across every
 * thread that samples) is mirrored when floor((r+1)·p/100) > floor(r·p/100)
 * with r = n mod 100: exactly p of every 100 consecutive eligible calls, spread
 * like a Bresenham line (10 % → calls 9, 19, 29, …), never the first p of each 100.
 */
import type { SharedCounters } from './counters.js';

export function isSampled(n: bigint, percent: number): boolean {
  if (percent >= 100) return true;
  const r = Number(n % 100n);
  return Math.floor(((r + 1) * percent) / 100) > Math.floor((r * percent) / 100);
}

/** Counts one eligible call for `link` and says whether to mirror it. */
export function sample(counters: SharedCounters, link: number, percent: number): boolean {
  const n = counters.add(link, 'eligible');
  if (!isSampled(n, percent)) return false;
  counters.add(link, 'sampled');
  return true;
}
