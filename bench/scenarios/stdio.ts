import { relayScenario } from './proxied.js';
import type { Scenario } from './types.js';

/** mcp-relay spawning the stdio echo server as its backend; the child is part of the measured tree. */
export const stdio: Scenario = {
  name: 'stdio',
  description: 'mcp-relay in front of the stdio echo server (bench/servers/stdio-echo.ts, spawned by the relay); client calls stdio/echo',
  start: (ctx) => relayScenario(ctx, 'stdio', [{ name: 'stdio', transport: 'stdio', command: process.execPath, args: [ctx.servers.stdioEcho] }], 'stdio/echo', false, []),
};
