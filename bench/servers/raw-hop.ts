/**
 * raw-hop: the physical limit of one Node hop. node:http in, an undici Pool
 * (keep-alive, 256 connections) out; the request body is buffered but never
 * parsed, and the answer is streamed back into the ServerResponse. Hop-by-hop
 * headers are dropped both ways. No MCP knowledge at all.
 *
 *   node raw-hop.js --target http://127.0.0.1:PORT/mcp [--port 0] [--host 127.0.0.1]
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const { values } = parseArgs({
  options: {
    target: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    connections: { type: 'string', default: '256' },
  },
});
if (!values.target) throw new Error('--target URL is required');
const target = new URL(values.target);
const pool = new Pool(target.origin, { connections: Number(values.connections), pipelining: 1, keepAliveTimeout: 30_000 });
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length']);

function forwardable(h: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in h) {
    const v = h[k];
    if (v !== undefined && !HOP.has(k)) out[k] = v;
  }
  return out;
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length === 0 ? undefined : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    pool
      .stream(
        { path: target.pathname, method: req.method as 'POST', headers: forwardable(req.headers), body },
        ({ statusCode, headers }) => {
          res.writeHead(statusCode, forwardable(headers));
          return res;
        },
      )
      .catch((err: Error) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`raw-hop: ${err.message}`);
      });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(values.port), values.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stderr.write(`raw-hop listening on http://${values.host}:${port}${target.pathname}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
