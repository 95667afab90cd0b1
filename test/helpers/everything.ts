/**
 * Runs @modelcontextprotocol/server-everything over Streamable HTTP for tests.
 * It listens on all interfaces by default; a preload pins it to 127.0.0.1 so
 * tests never open a port beyond loopback.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { EVERYTHING, tempFile, eventually } from './proxy.js';

const PIN_LOOPBACK = `
import net from 'node:net';
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || typeof args[0] === 'string') {
    const cb = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    return listen.call(this, { port: Number(args[0]), host: '127.0.0.1' }, cb);
  }
  if (args[0] && typeof args[0] === 'object' && !args[0].host && !args[0].path) args[0] = { ...args[0], host: '127.0.0.1' };
  return listen.apply(this, args);
};
`;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startEverythingHttp(): Promise<{ url: string; child: ChildProcess; stop(): void }> {
  const port = await freePort();
  const preload = tempFile('pin-loopback.mjs', PIN_LOOPBACK);
  const child = spawn(process.execPath, ['--import', preload, EVERYTHING, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'ignore'],
  });
  const url = `http://127.0.0.1:${port}/mcp`;
  await eventually(async () => (await fetch(url, { method: 'GET' }).catch(() => undefined)) !== undefined, 'server-everything to listen');
  return { url, child, stop: () => void child.kill('SIGTERM') };
}
