/**
 * The backends every scenario shares within one run, started once:
 *   floor   the primary HTTP echo backend
 *   canary  a second floor, the mirror target
 *   slow    a floor whose tools/call answers after --delay-ms (1 s by default)
 *   dead    a TCP port nobody listens on (bound, then closed)
 */
import { createServer } from 'node:net';
import type { BuiltServers } from './build.js';
import { killTree, spawnProc, waitReady } from './proc.js';

export interface BackendProc {
  url: string;
  pid: number;
}

export interface SharedBackends {
  floor: BackendProc;
  canary: BackendProc;
  slow: BackendProc;
  deadUrl: string;
  pids: number[];
  stop(): Promise<void>;
}

export async function startFloor(servers: BuiltServers, name: string, delayMs = 0): Promise<BackendProc> {
  const p = spawnProc(name, process.execPath, [servers.floor, '--port', '0', '--name', name, '--delay-ms', String(delayMs)]);
  const { match } = await waitReady(p, { re: /listening on (http:\/\/\S+)/, timeoutMs: 10_000 });
  return { url: match![1]!, pid: p.pid };
}

/** A port that was free a moment ago and has no listener now. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export const freePort = closedPort;

export async function startSharedBackends(servers: BuiltServers, slowDelayMs = 1000): Promise<SharedBackends> {
  const [floor, canary, slow] = await Promise.all([startFloor(servers, 'floor'), startFloor(servers, 'canary'), startFloor(servers, 'slow-canary', slowDelayMs)]);
  const deadUrl = `http://127.0.0.1:${await closedPort()}/mcp`;
  const pids = [floor.pid, canary.pid, slow.pid];
  return { floor, canary, slow, deadUrl, pids, stop: () => killTree(pids) };
}
