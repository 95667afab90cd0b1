/**
 * Bad input over raw HTTP: every malformed request gets the spec's status and
 * a JSON-RPC error naming the problem, and the proxy keeps serving a normal
 * client afterwards.
 */
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, demoStdio, startProxy, type ProxyHandle } from '../helpers/proxy.js';

let proxy: ProxyHandle;
const H = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(proxy.url, { method: 'POST', headers: { ...H, ...headers }, body });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

async function session(version = '2025-11-25'): Promise<string> {
  const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
  expect(r.status).toBe(200);
  expect(r.json.result.protocolVersion).toBe(version);
  const sid = r.headers.get('mcp-session-id')!;
  await post(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), { 'mcp-session-id': sid });
  return sid;
}

beforeAll(async () => {
  proxy = await startProxy(`
[proxy.http]
max_body_bytes = 65536
max_batch = 3

[[backends]]
name = "d"
transport = "stdio"
${demoStdio('--name', 'd')}
`);
});
afterAll(async () => {
  await proxy?.stop();
});

describe('malformed bodies', () => {
  it('invalid JSON → 400 -32700', async () => {
    const r = await post('{"jsonrpc":', { 'mcp-session-id': await session() });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32700);
    expect(r.json.id).toBeNull();
  });

  it.each([
    ['a number', '42'],
    ['a string', '"hi"'],
    ['null', 'null'],
    ['wrong jsonrpc version', '{"jsonrpc":"1.0","id":1,"method":"ping"}'],
    ['a null id', '{"jsonrpc":"2.0","id":null,"method":"ping"}'],
    ['array params', '{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}'],
    ['no method and no result', '{"jsonrpc":"2.0","id":1}'],
  ])('%s → 400 -32600 Invalid Request', async (_label, body) => {
    const r = await post(body, { 'mcp-session-id': await session() });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32600);
    expect(r.json.error.data.code).toBe('INVALID_REQUEST');
  });

  it('unknown method → -32601 naming it', async () => {
    const r = await post('{"jsonrpc":"2.0","id":7,"method":"tools/frobnicate"}', { 'mcp-session-id': await session() });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ id: 7, error: { code: -32601 } });
    expect(r.json.error.message).toContain('tools/frobnicate');
  });

  it('method names that are Object.prototype keys are just unknown methods', async () => {
    const sid = await session();
    for (const method of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method }), { 'mcp-session-id': sid });
      expect(r.json.error.code).toBe(-32601);
    }
  });

  it('non-object tool arguments → -32602 before anything reaches the backend', async () => {
    const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'd/echo', arguments: 'x'.repeat(1000) } }), { 'mcp-session-id': await session() });
    expect(r.json.error).toMatchObject({ code: -32602, data: { code: 'INVALID_PARAMS' } });
  });

  it('a body over proxy.http.max_body_bytes → 413, whether or not Content-Length says so', async () => {
    const sid = await session();
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'd/echo', arguments: { message: 'x'.repeat(70_000) } } });
    const r = await post(big, { 'mcp-session-id': sid });
    expect(r.status).toBe(413);
    expect(r.json.error.data.code).toBe('BODY_TOO_LARGE');
  });

  it('wrong content type → 415; GET without text/event-stream → 406', async () => {
    const r = await post('{}', { 'content-type': 'text/plain' });
    expect(r.status).toBe(415);
    const g = await fetch(proxy.url, { headers: { accept: 'application/json', 'mcp-session-id': await session() } });
    expect(g.status).toBe(406);
  });
});

describe('sessions and headers', () => {
  it('a request without Mcp-Session-Id → 400; an unknown one → 404', async () => {
    const missing = await post('{"jsonrpc":"2.0","id":1,"method":"tools/list"}');
    expect(missing.status).toBe(400);
    expect(missing.json.error.data.code).toBe('SESSION_REQUIRED');
    const unknown = await post('{"jsonrpc":"2.0","id":1,"method":"tools/list"}', { 'mcp-session-id': 'no-such-session' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.data.code).toBe('SESSION_NOT_FOUND');
  });

  it('DELETE ends a session; later requests on it → 404', async () => {
    const sid = await session();
    const del = await fetch(proxy.url, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(del.status).toBe(200);
    const after = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { 'mcp-session-id': sid });
    expect(after.status).toBe(404);
  });

  it('an unsupported MCP-Protocol-Version → 400 listing the supported ones', async () => {
    const r = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { 'mcp-session-id': await session(), 'mcp-protocol-version': '1999-01-01' });
    expect(r.status).toBe(400);
    expect(r.json.error.data.supported).toContain('2025-11-25');
  });

  it('negotiates down to an older supported revision, and up to the latest for unknown ones', async () => {
    await session('2025-03-26');
    const r = await post(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2099-01-01', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }));
    expect(r.json.result.protocolVersion).toBe('2025-11-25');
  });

  it('a foreign Origin → 403 (DNS rebinding protection); a loopback Origin is fine', async () => {
    const bad = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { origin: 'https://evil.example' });
    expect(bad.status).toBe(403);
    const ok = await post('{"jsonrpc":"2.0","id":1,"method":"ping"}', { origin: 'http://localhost:3000', 'mcp-session-id': await session() });
    expect(ok.status).toBe(200);
  });

  it('the admin API gets the same DNS-rebinding protection', async () => {
    // fetch cannot set Host; a rebound page's requests carry the attacker's host name
    const status = await new Promise<number>((resolve, reject) => {
      get(`${proxy.base}/admin/backends`, { headers: { host: 'evil.example' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).on('error', reject);
    });
    expect(status).toBe(403);
    const page = await fetch(`${proxy.base}/admin/mirror`, { headers: { origin: 'https://evil.example' } });
    expect(page.status).toBe(403);
  });

  it('other HTTP methods → 405 with Allow; other paths → 404', async () => {
    const put = await fetch(proxy.url, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toContain('POST');
    expect((await fetch(`${proxy.base}/nope`)).status).toBe(404);
  });

  it('a second GET stream on one session → 409', async () => {
    const sid = await session();
    const ac = new AbortController();
    const first = await fetch(proxy.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid }, signal: ac.signal });
    expect(first.status).toBe(200);
    const second = await fetch(proxy.url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid } });
    expect(second.status).toBe(409);
    ac.abort();
  });
});

describe('batches', () => {
  it('are answered on 2025-03-26 (responses only for requests)', async () => {
    const sid = await session('2025-03-26');
    const r = await post(
      JSON.stringify([
        { jsonrpc: '2.0', id: 1, method: 'ping' },
        { jsonrpc: '2.0', method: 'notifications/initialized' },
        { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'd/add', arguments: { a: 1, b: 2 } } },
      ]),
      { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-03-26' },
    );
    expect(r.status).toBe(200);
    expect(r.json).toHaveLength(2);
    expect(r.json[1].result.structuredContent).toEqual({ sum: 3 });
  });

  it('are refused on 2025-06-18 and later, and when too large', async () => {
    const r = await post('[{"jsonrpc":"2.0","id":1,"method":"ping"}]', { 'mcp-session-id': await session('2025-06-18') });
    expect(r.status).toBe(400);
    expect(r.json.error.data.code).toBe('BATCH_NOT_ALLOWED');
    const big = JSON.stringify(Array.from({ length: 4 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'ping' })));
    const r2 = await post(big, { 'mcp-session-id': await session('2025-03-26') });
    expect(r2.json.error.data.code).toBe('BATCH_TOO_LARGE');
  });
});

describe('after all of that', () => {
  it('still serves a well-behaved client', async () => {
    const c = await connect(proxy.url);
    const r = await c.callTool({ name: 'd/add', arguments: { a: 20, b: 22 } });
    expect(r.structuredContent).toEqual({ sum: 42 });
    await c.close();
    const health = (await (await fetch(`${proxy.base}/admin/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
  });
});
