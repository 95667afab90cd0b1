/**
 * A deliberately misbehaving Streamable HTTP MCP server for mirror tests.
 * It completes the initialize handshake properly, then on tools/call:
 *   hang  – never answers;  slow – answers after `delayMs`;
 *   crash – sends SSE headers and half an event, then destroys the socket.
 * It counts the tools/call requests it received.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Misbehaviour = 'hang' | 'slow' | 'crash';

export async function startBadCanary(mode: Misbehaviour, delayMs = 1_000): Promise<{ url: string; calls(): number; close(): Promise<void> }> {
  let calls = 0;
  const json = (res: ServerResponse, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(text);
  };
  const server = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const msg = JSON.parse(body) as { id?: unknown; method?: string };
      if (msg.id === undefined) return void res.writeHead(202).end();
      if (msg.method === 'initialize') {
        return json(res, { jsonrpc: '2.0', id: msg.id, result: { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: `bad-${mode}`, version: '0' } } }, { 'mcp-session-id': 'bad-session' });
      }
      if (msg.method !== 'tools/call') return json(res, { jsonrpc: '2.0', id: msg.id, result: {} });
      calls++;
      if (mode === 'hang') return;
      if (mode === 'crash') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: message\ndata: {"jsonrpc":"2.0","id":');
        setTimeout(() => res.destroy(), 5);
        return;
      }
      setTimeout(() => json(res, { jsonrpc: '2.0', id: msg.id, result: { content: [{ type: 'text', text: 'late' }] } }), delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls: () => calls,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
