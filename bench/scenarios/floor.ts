import type { Scenario } from './types.js';

/** The floor itself: the shared echo backend, no hop. Its own CPU is "the proxy" column. */
export const floor: Scenario = {
  name: 'floor',
  description: 'raw node:http JSON-RPC echo backend (bench/servers/floor.ts), no hop: the ceiling for everything else',
  start: async (ctx) => ({
    url: ctx.backends.floor.url,
    tool: 'echo',
    pids: [ctx.backends.floor.pid],
    backendPids: [],
    stop: async () => undefined,
  }),
};
