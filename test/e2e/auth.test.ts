/**
 * [auth] type = "bearer" end to end: 401s with WWW-Authenticate, full and scoped tokens
 * (tools/list filtered; direct calls, composite targets, discovery and proxy/call_tool all
 * held to the scope), sessions bound to the token that opened them, and no token in logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startDemoHttpServer, type DemoHttpServer } from '../../src/demo/http.js';
import { getJson, startProxy, type ProxyHandle } from '../helpers/proxy.js';

const FULL = 'full-access-token-0123456789';
const READER = 'reader-token-abcdefghij';
const NO_ADD = 'no-add-token-klmnopqrst';

let demo: DemoHttpServer;
let direct: ProxyHandle;
let search: ProxyHandle;
const clients: Client[] = [];

const config = (head: string): string => `${head}
[auth]
type = "bearer"
tokens = ["${FULL}"]

[[auth.scoped_tokens]]
token = "${READER}"
allow_tools = ["d/echo", "d/add"]

[[auth.scoped_tokens]]
token = "${NO_ADD}"
deny_tools = ["d/add*"]

[[composite_tools]]
name = "both"
tools = ["d/add", "d/echo"]

[[backends]]
name = "d"
transport = "http"
url = "${demo.url}"
`;

async function clientFor(proxy: ProxyHandle, token: string): Promise<Client> {
  const c = new Client({ name: 'auth-test', version: '1' });
  await c.connect(new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  clients.push(c);
  return c;
}

async function rpcError(p: Promise<unknown>): Promise<{ code: number; message: string; data?: any }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; message: string; data?: any };
  }
  throw new Error('expected an error');
}

const names = async (c: Client): Promise<string[]> => (await c.listTools()).tools.map((t) => t.name).sort();
const initBody = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
const jsonHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

beforeAll(async () => {
  demo = await startDemoHttpServer({ name: 'd' });
  [direct, search] = await Promise.all([
    startProxy(config('[proxy]\ntool_discovery = true\n'), ['--log-level', 'debug']),
    startProxy(config('[proxy]\ntool_exposure = "search"\n')),
  ]);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled([direct?.stop(), search?.stop()]);
  await demo?.close();
});

describe('the MCP endpoint needs a configured bearer token', () => {
  it('401 with WWW-Authenticate for a missing, unknown or non-Bearer credential; the proxy keeps serving', async () => {
    const missing = await fetch(direct.url, { method: 'POST', headers: jsonHeaders, body: initBody });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="mcp-relay"');
    expect(((await missing.json()) as any).error).toMatchObject({ code: -32016, data: { code: 'AUTH_REQUIRED' } });
    for (const authorization of ['Bearer not-a-token', `Basic ${FULL}`, FULL, `Bearer ${FULL}x`]) {
      const bad = await fetch(direct.url, { method: 'POST', headers: { ...jsonHeaders, authorization }, body: initBody });
      expect(bad.status).toBe(401);
      expect(bad.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(((await bad.json()) as any).error.data.code).toBe('AUTH_INVALID');
    }
    // GET and DELETE are guarded too
    expect((await fetch(direct.url, { headers: { accept: 'text/event-stream' } })).status).toBe(401);
    expect((await fetch(direct.url, { method: 'DELETE' })).status).toBe(401);
    // the scheme is case-insensitive
    const ok = await fetch(direct.url, { method: 'POST', headers: { ...jsonHeaders, authorization: `bearer ${FULL}` }, body: initBody });
    expect(ok.status).toBe(200);
    expect((await getJson(`${direct.base}/admin/health`)).status).toBe('ok');
  });

  it('a full token sees and calls everything', async () => {
    const c = await clientFor(direct, FULL);
    expect(await names(c)).toEqual(expect.arrayContaining(['both', 'd/add', 'd/echo', 'd/fail', 'proxy/search_tools']));
    expect((await c.callTool({ name: 'd/add', arguments: { a: 2, b: 3 } })).structuredContent).toEqual({ sum: 5 });
  });

  it('a session belongs to the token that opened it: another token gets 404, as for an unknown session', async () => {
    const init = await fetch(direct.url, { method: 'POST', headers: { ...jsonHeaders, authorization: `Bearer ${FULL}` }, body: initBody });
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' });
    const h = (token: string): Record<string, string> => ({ ...jsonHeaders, authorization: `Bearer ${token}`, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    const stolen = await fetch(direct.url, { method: 'POST', headers: h(READER), body: ping });
    expect(stolen.status).toBe(404);
    expect(((await stolen.json()) as any).error.data.code).toBe('SESSION_NOT_FOUND');
    expect((await fetch(direct.url, { method: 'DELETE', headers: h(NO_ADD) })).status).toBe(404);
    const own = await fetch(direct.url, { method: 'POST', headers: h(FULL), body: ping });
    expect(own.status).toBe(200);
  });
});

describe('scoped tokens', () => {
  it('allow_tools: lists and calls only the allowed tools (discovery tools stay, and show only allowed tools)', async () => {
    const c = await clientFor(direct, READER);
    expect(await names(c)).toEqual(['d/add', 'd/echo', 'proxy/search_tools', 'proxy/tool_categories']);
    expect((await c.callTool({ name: 'd/echo', arguments: { message: 'hi' } })).content).toEqual([{ type: 'text', text: 'hi' }]);
    const denied = await rpcError(c.callTool({ name: 'd/fail', arguments: {} }));
    expect(denied.code).toBe(-32602);
    expect(denied.message).toContain('Token is not authorized to call tool: d/fail');
    expect(denied.data).toMatchObject({ code: 'TOOL_NOT_AUTHORIZED', name: 'd/fail' });
    // a composite is a tool name like any other
    expect((await rpcError(c.callTool({ name: 'both', arguments: { a: 1, b: 2 } }))).data.code).toBe('TOOL_NOT_AUTHORIZED');
    const found = (await c.callTool({ name: 'proxy/search_tools', arguments: { query: 'fail add echo numbers text', top_k: 50 } })).structuredContent as { matches: { name: string }[] };
    expect(found.matches.map((m) => m.name).sort()).toEqual(['d/add', 'd/echo']);
    const cats = (await c.callTool({ name: 'proxy/tool_categories', arguments: {} })).structuredContent as { categories: { namespace: string; tools: number }[] };
    expect(cats.categories).toEqual([{ namespace: 'd', tools: 2 }]);
    expect(demo.stats.calls['tool:fail'] ?? 0).toBe(0);
  });

  it('deny_tools: globs hide and block; a composite that would reach a denied tool is hidden and refused before any target runs', async () => {
    const c = await clientFor(direct, NO_ADD);
    const listed = await names(c);
    expect(listed).toContain('d/echo');
    expect(listed).not.toContain('d/add');
    expect(listed).not.toContain('d/add_tool');
    expect(listed).not.toContain('both'); // allowed by name, but it calls d/add
    expect((await rpcError(c.callTool({ name: 'd/add', arguments: { a: 1, b: 1 } }))).data.code).toBe('TOOL_NOT_AUTHORIZED');
    const echoes = demo.stats.calls['tool:echo'] ?? 0;
    expect((await rpcError(c.callTool({ name: 'both', arguments: { a: 1, b: 1, message: 'x' } }))).data.code).toBe('TOOL_NOT_AUTHORIZED');
    expect(demo.stats.calls['tool:echo'] ?? 0).toBe(echoes);
    expect((await c.callTool({ name: 'd/echo', arguments: { message: 'ok' } })).content).toEqual([{ type: 'text', text: 'ok' }]);
  });

  it('search mode: proxy/call_tool holds the target to the scope', async () => {
    const c = await clientFor(search, READER);
    expect(await names(c)).toEqual(['proxy/call_tool', 'proxy/search_tools', 'proxy/tool_categories']);
    const ok = await c.callTool({ name: 'proxy/call_tool', arguments: { name: 'd/add', arguments: { a: 20, b: 22 } } });
    expect(ok.structuredContent).toEqual({ sum: 42 });
    for (const target of ['d/fail', 'both']) {
      expect((await rpcError(c.callTool({ name: 'proxy/call_tool', arguments: { name: target, arguments: {} } }))).data.code).toBe('TOOL_NOT_AUTHORIZED');
    }
  });
});

describe('secrets', () => {
  it('no token ever appears in the logs, even at debug level', async () => {
    expect(direct.stderr()).toContain('session initialized');
    for (const token of [FULL, READER, NO_ADD]) expect(direct.stderr()).not.toContain(token);
  });
});
