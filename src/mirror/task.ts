/** What crosses from the main thread to a mirror pool thread, and back. */
import type { DiffClass } from './counters.js';

export interface MirrorTask {
  /** Index of the mirror link (its counter slice). */
  link: number;
  mirror: string;
  tool: string;
  method: string;
  params: Record<string, unknown>;
  /** The primary's raw JSON-RPC response, when it is at most mirror.max_result_bytes. */
  primaryRaw?: string;
  /** Set instead of primaryRaw when the primary failed before answering. */
  primaryFailure?: string;
  primaryTooLarge?: boolean;
  primaryLatencyUs: number;
}

export interface MirrorSummary {
  link: number;
  tool: string;
  outcome: 'succeeded' | 'failed' | 'timed_out';
  diff: DiffClass;
  canaryLatencyUs: number;
  /** Present for non-"same" classes: truncated request and both answers. */
  sample?: { request: string; primary: string; canary: string };
}

export interface WorkerInit {
  mirrors: import('../config/schema.js').BackendConfig[];
  counters: SharedArrayBuffer;
  timeoutMs: number;
  /** Copies in flight per thread: also the size of each canary's connection pool. */
  concurrency: number;
  ignorePaths: string[];
  sampleFieldBytes: number;
  logLevel: string;
  jsonLogs: boolean;
  clientName: string;
  clientVersion: string;
}
