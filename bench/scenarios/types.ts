/**
 * The scenario contract. Every scenario module exports one or more objects of
 * this shape; the runner starts one, opens sessions on `url`, loads `tool`,
 * measures `pids` (and their descendants) as "the proxy" and `backendPids` as
 * what sits behind it, then calls stop().
 */
import type { BuiltServers } from '../lib/build.js';
import type { SharedBackends } from '../lib/backends.js';

export interface ScenarioContext {
  servers: BuiltServers;
  backends: SharedBackends;
  /** Scratch directory for generated configs. */
  tmpDir: string;
  /** Extra node flags for the measured process (e.g. --cpu-prof); the mcp-relay and raw-hop scenarios honour it. */
  nodeArgs: string[];
}

export interface Running {
  /** MCP endpoint (POST). */
  url: string;
  /** Tool name the client calls. */
  tool: string;
  /** Roots of the measured process trees (the proxy, or the floor itself). */
  pids: number[];
  /** Roots of the processes behind it (not counted as proxy cost). */
  backendPids: number[];
  /** Headers every request needs (e.g. Authorization for a proxy with [auth]). */
  headers?: Record<string, string>;
  /** mcp-relay's admin base URL, when there is one. */
  adminUrl?: string;
  /** Last lines the measured process printed (for failure reports). */
  tail?: () => string;
  stop(): Promise<void>;
}

export interface Scenario {
  name: string;
  /** One line for the README and the report. */
  description: string;
  start(ctx: ScenarioContext): Promise<Running>;
}
