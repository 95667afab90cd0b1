import { killTree, spawnProc, waitReady } from '../lib/proc.js';
import type { Scenario } from './types.js';

export const rawHop: Scenario = {
  name: 'raw-hop',
  description: 'node:http in, undici Pool out, body not parsed (bench/servers/raw-hop.ts) in front of the floor: the physical limit of one Node hop',
  async start(ctx) {
    const p = spawnProc('raw-hop', process.execPath, [...ctx.nodeArgs, ctx.servers.rawHop, '--target', ctx.backends.floor.url, '--port', '0']);
    try {
      const { match } = await waitReady(p, { re: /listening on (http:\/\/\S+)/, timeoutMs: 10_000 });
      return { url: match![1]!, tool: 'echo', pids: [p.pid], backendPids: [ctx.backends.floor.pid], tail: p.tail, stop: () => killTree([p.pid]) };
    } catch (err) {
      await killTree([p.pid]);
      throw err;
    }
  },
};
