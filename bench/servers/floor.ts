/**
 * The floor: a raw node:http JSON-RPC echo backend, the fastest thing that
 * answers the benchmark's MCP traffic. POST /mcp only; initialize returns a
 * fixed Mcp-Session-Id; notifications get 202; everything else is answered by
 * echo-protocol.ts as application/json with a content-length. GET → 405 (no
 * standalone stream), DELETE → 200.
 *
 *   node floor.js [--port 0] [--host 127.0.0.1] [--delay-ms 0] [--name floor]
 *
 * --delay-ms holds every tools/call answer that long (a slow canary).
 * Logs `listening on http://HOST:PORT/mcp` to stderr when ready.
 */
import { createServer, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import type { AddressInfo } from 'node:net';
import { answer } from './echo-protocol.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'delay-ms': { type: 'string', default: '0' },
    name: { type: 'string', default: 'floor' },
  },
});
const delayMs = Number(values['delay-ms']);
const name = values.name!;
const SESSION_ID = 'floor-session-0001';

function send(res: ServerResponse, status: number, body: string, extra?: Record<string, string>): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

const server = createServer((req, res) => {
  if (req.method === 'DELETE') return void res.writeHead(200).end();
  if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST, DELETE' }).end();
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
    } catch {
      return send(res, 400, '{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
    }
    const out = answer(msg, name);
    if (out === undefined) return void res.writeHead(202).end();
    if (msg.method === 'initialize') return send(res, 200, out, { 'mcp-session-id': SESSION_ID });
    if (delayMs > 0 && msg.method === 'tools/call') {
      setTimeout(() => {
        if (!res.destroyed) send(res, 200, out);
      }, delayMs);
      return;
    }
    send(res, 200, out);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(values.port), values.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stderr.write(`${name} listening on http://${values.host}:${port}/mcp\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
