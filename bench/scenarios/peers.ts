/**
 * npm peers in front of the same stdio echo server, for the side-by-side with
 * the `stdio` scenario. Started with `node <bin>` (not npx) so the PIDs are the
 * real ones; their stdio children are part of the measured tree, as for mcp-relay.
 *   mcp-proxy 6.x     --server stream, defaults otherwise (stateful, event store on)
 *   supergateway 4.x  --outputTransport streamableHttp --stateful (one child per session;
 *                     binds every interface, only 127.0.0.1 is used; stdin kept open
 *                     because closing it stops the gateway)
 */
import { join } from 'node:path';
import { ROOT_DIR } from '../lib/build.js';
import { freePort } from '../lib/backends.js';
import { killTree, spawnProc, waitReady } from '../lib/proc.js';
import type { Running, Scenario } from './types.js';

async function startPeer(name: string, args: (port: number) => string[]): Promise<Running> {
  const port = await freePort();
  const p = spawnProc(name, process.execPath, args(port), { cwd: ROOT_DIR, stdin: 'pipe' });
  try {
    await waitReady(p, { listenPort: true, timeoutMs: 20_000 });
    return { url: `http://127.0.0.1:${port}/mcp`, tool: 'echo', pids: [p.pid], backendPids: [], tail: p.tail, stop: () => killTree([p.pid]) };
  } catch (err) {
    await killTree([p.pid]);
    throw err;
  }
}

export const mcpProxy: Scenario = {
  name: 'mcp-proxy',
  description: 'npm mcp-proxy 6.7 (--server stream) in front of the stdio echo server; client calls echo',
  start: (ctx) => startPeer('mcp-proxy', (port) => [join(ROOT_DIR, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs'), '--port', String(port), '--host', '127.0.0.1', '--server', 'stream', '--', process.execPath, ctx.servers.stdioEcho]),
};

export const supergateway: Scenario = {
  name: 'supergateway',
  description: 'npm supergateway 4.0 (streamableHttp, --stateful) in front of the stdio echo server; client calls echo',
  start: (ctx) =>
    startPeer('supergateway', (port) => [
      join(ROOT_DIR, 'node_modules/supergateway/dist/index.js'),
      '--stdio',
      `${process.execPath} ${ctx.servers.stdioEcho}`,
      '--outputTransport',
      'streamableHttp',
      '--stateful',
      '--port',
      String(port),
      '--logLevel',
      'none',
    ]),
};
