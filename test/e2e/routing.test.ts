/**
 * End to end: the SDK's Client over Streamable HTTP → mcp-relay (real process)
 * → a stdio demo server (paginated, aliased), an HTTP demo server, and
 * @modelcontextprotocol/server-everything over stdio and over Streamable HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startDemoHttpServer, type DemoHttpServer } from '../../src/demo/http.js';
import { connect, demoStdio, everythingStdio, eventually, getJson, rawSession, sseEvents, startProxy, type ProxyHandle } from '../helpers/proxy.js';
import { startEverythingHttp } from '../helpers/everything.js';

let web: DemoHttpServer;
let webJson: DemoHttpServer; // answers POSTs as plain JSON, so headers come only with the result
let everythingHttp: Awaited<ReturnType<typeof startEverythingHttp>>;
let proxy: ProxyHandle;
const clients: Client[] = [];

async function client(): Promise<Client> {
  const c = await connect(proxy.url);
  clients.push(c);
  return c;
}

async function allTools(c: Client): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await c.listTools(cursor === undefined ? {} : { cursor });
    pages++;
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor);
  return { names, pages };
}

function rpcError(fn: () => Promise<unknown>): Promise<{ code: number; message: string; data: any }> {
  return fn().then(
    () => {
      throw new Error('expected a JSON-RPC error');
    },
    (e: { code: number; message: string; data: unknown }) => e as never,
  );
}

beforeAll(async () => {
  web = await startDemoHttpServer({ name: 'web' });
  webJson = await startDemoHttpServer({ name: 'webjson', jsonResponse: true });
  everythingHttp = await startEverythingHttp();
  proxy = await startProxy(`
[proxy]
name = "routing-test"

[[backends]]
name = "files"
transport = "stdio"
${demoStdio('--name', 'files', '--page-size', '3', '--crash-tool')}

[[backends.aliases]]
from = "echo"
to = "say"

[[backends.aliases]]
from = "demo://info"
to = "demo://about"

[[backends]]
name = "web"
transport = "http"
url = "${web.url}"
# long enough for any call under a loaded CI machine; short enough for the timeout test
[backends.timeout]
seconds = 3

[[backends]]
name = "ev"
transport = "stdio"
${everythingStdio()}

[[backends]]
name = "evh"
transport = "http"
url = "${everythingHttp.url}"

[[backends]]
name = "webjson"
transport = "http"
url = "${webJson.url}"
`);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await proxy?.stop();
  await web?.close();
  await webJson?.close();
  everythingHttp?.stop();
});

describe('initialize and capabilities', () => {
  it('answers initialize itself with the union of backend capabilities', async () => {
    const c = await client();
    expect(c.getServerVersion()).toMatchObject({ name: 'routing-test' });
    const caps = c.getServerCapabilities()!;
    expect(caps.tools).toEqual({ listChanged: true });
    expect(caps.prompts).toBeDefined();
    expect(caps.resources).toMatchObject({ listChanged: true });
    expect(caps.completions).toBeDefined();
    expect(c.getInstructions()).toContain('files, web, ev, evh');
  });

  it('answers ping locally', async () => {
    const c = await client();
    await expect(c.ping()).resolves.toEqual({});
  });
});

describe('listing', () => {
  it('aggregates every backend in config order, paging where a backend pages', async () => {
    const c = await client();
    const { names, pages } = await allTools(c);
    // files pages by 3 (10 tools incl. crash → 4 backend pages); the rest do not page.
    expect(pages).toBe(4);
    const prefixes = names.map((n) => n.split('/')[0]);
    expect(prefixes.indexOf('web')).toBeGreaterThan(prefixes.lastIndexOf('files'));
    expect(prefixes.indexOf('ev')).toBeGreaterThan(prefixes.lastIndexOf('web'));
    expect(prefixes.indexOf('evh')).toBeGreaterThan(prefixes.lastIndexOf('ev'));
    expect(names).toContain('files/say');
    expect(names).not.toContain('files/echo');
    expect(names).toContain('web/echo');
    expect(names).toContain('ev/echo');
    expect(names).toContain('evh/get-sum');
    expect(new Set(names).size).toBe(names.length);
    // deterministic: a second walk gives the same order
    expect((await allTools(c)).names).toEqual(names);
  });

  it('refuses a cursor it did not issue', async () => {
    const c = await client();
    const e = await rpcError(() => c.listTools({ cursor: 'not-a-cursor' }));
    expect(e.code).toBe(-32602);
    expect(e.data.code).toBe('INVALID_CURSOR');
  });

  it('namespaces resources, templates and prompts, applying aliases to URIs', async () => {
    const c = await client();
    const res = await c.listResources();
    const uris = res.resources.map((r) => r.uri);
    expect(uris).toContain('files/demo://about');
    expect(uris).not.toContain('files/demo://info');
    expect(uris).toContain('web/demo://info');
    const templates = await c.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toContain('web/demo://item/{id}');
    const prompts = await c.listPrompts();
    expect(prompts.prompts.map((p) => p.name)).toEqual(expect.arrayContaining(['files/greet', 'web/greet', 'ev/simple-prompt']));
  });
});

describe('routing calls', () => {
  it('routes tools/call to the owning backend with the prefix stripped', async () => {
    const c = await client();
    const r = await c.callTool({ name: 'web/add', arguments: { a: 2, b: 40 } });
    expect(r.structuredContent).toEqual({ sum: 42 });
    expect(web.stats.calls['tool:add']).toBeGreaterThan(0);
    const ev = await c.callTool({ name: 'ev/echo', arguments: { message: 'hi' } });
    expect(JSON.stringify(ev.content)).toContain('hi');
    const evh = await c.callTool({ name: 'evh/get-sum', arguments: { a: 1, b: 2 } });
    expect(JSON.stringify(evh.content)).toContain('3');
  });

  it('round-trips an alias: files/say reaches the backend as echo; the original name is hidden', async () => {
    const c = await client();
    const r = await c.callTool({ name: 'files/say', arguments: { message: 'aliased' } });
    expect(r.content).toEqual([{ type: 'text', text: 'aliased' }]);
    const e = await rpcError(() => c.callTool({ name: 'files/echo', arguments: { message: 'x' } }));
    expect(e.code).toBe(-32602);
    expect(e.data).toMatchObject({ code: 'UNKNOWN_TOOL', name: 'files/echo' });
  });

  it('names the unknown tool, prompt or resource in the error', async () => {
    const c = await client();
    const tool = await rpcError(() => c.callTool({ name: 'nowhere/x', arguments: {} }));
    expect(tool.message).toContain('nowhere/x');
    const prompt = await rpcError(() => c.getPrompt({ name: 'web/nope' }));
    expect(prompt.data).toMatchObject({ code: 'UNKNOWN_PROMPT' });
    const res = await rpcError(() => c.readResource({ uri: 'zzz/demo://info' }));
    expect(res.data).toMatchObject({ code: 'UNKNOWN_RESOURCE' });
  });

  it('keeps the code and data of backend JSON-RPC errors', async () => {
    const c = await client();
    const e = await rpcError(() => c.callTool({ name: 'web/fail', arguments: {} }));
    expect(e.code).toBe(-32099);
    expect(e.data).toEqual({ reason: 'requested' });
    const r = await c.callTool({ name: 'files/tool_error', arguments: {} });
    expect(r.isError).toBe(true);
  });

  it('reads resources (aliased and templated), gets prompts, completes arguments', async () => {
    const c = await client();
    const about = await c.readResource({ uri: 'files/demo://about' });
    expect(JSON.stringify(about.contents)).toContain('demo server files');
    // contents name the URI the client used (alias and namespace applied), not the backend's
    expect(about.contents[0]!.uri).toBe('files/demo://about');
    const item = await c.readResource({ uri: 'web/demo://item/7' });
    expect(JSON.stringify(item.contents)).toContain('item 7');
    expect(item.contents[0]!.uri).toBe('web/demo://item/7');
    const hidden = await rpcError(() => c.readResource({ uri: 'files/demo://info' }));
    expect(hidden.data).toMatchObject({ code: 'UNKNOWN_RESOURCE' });
    const prompt = await c.getPrompt({ name: 'files/greet', arguments: { name: 'bob' } });
    expect(JSON.stringify(prompt.messages)).toContain('Hello, bob!');
    const done = await c.complete({ ref: { type: 'ref/prompt', name: 'web/greet' }, argument: { name: 'name', value: 'al' } });
    expect(done.completion.values).toEqual(['alice', 'albert']);
    const evRes = await c.listResources();
    const evUri = evRes.resources.find((r) => r.uri.startsWith('evh/'))!.uri;
    const read = await c.readResource({ uri: evUri });
    expect(read.contents.length).toBeGreaterThan(0);
  });

  it('relays progress notifications for a call in flight (stdio and http)', async () => {
    const c = await client();
    for (const name of ['files/slow', 'web/slow']) {
      const seen: number[] = [];
      const r = await c.callTool({ name, arguments: { ms: 60, steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
      expect(r.content).toEqual([{ type: 'text', text: 'done' }]);
      expect(seen).toEqual([1, 2, 3]);
    }
  });

  it('relays cancellation to the backend and keeps serving', async () => {
    const c = await client();
    const ac = new AbortController();
    const pending = c.callTool({ name: 'files/hang', arguments: {} }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort('user gave up'), 100);
    await expect(pending).rejects.toThrow();
    const r = await c.callTool({ name: 'files/say', arguments: { message: 'still here' } });
    expect(r.content).toEqual([{ type: 'text', text: 'still here' }]);
  });

  it('fails a call that exceeds [backends.timeout] with BACKEND_TIMEOUT', async () => {
    const c = await client();
    const e = await rpcError(() => c.callTool({ name: 'web/hang', arguments: {} }));
    expect(e.code).toBe(-32011);
    expect(e.data).toMatchObject({ code: 'BACKEND_TIMEOUT', backend: 'web' });
  });
});

describe('sessions ending mid-call', () => {
  it.each(['web', 'webjson'])('survives a client that deletes its session while a call to %s is in flight', async (backend) => {
    const { sid, headers } = await rawSession(proxy.url);
    const server = backend === 'web' ? web : webJson;
    const before = server.stats.calls['tool:hang'] ?? 0;
    const call = fetch(proxy.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: `${backend}/hang`, arguments: {} } }) });
    // the call is in flight once the backend has it
    await eventually(() => (server.stats.calls['tool:hang'] ?? 0) > before, `the call to reach ${backend}`);
    expect((await fetch(proxy.url, { method: 'DELETE', headers: { 'mcp-session-id': sid } })).status).toBe(200);
    const answered = await call.then((r) => r.json() as Promise<{ error?: { data?: { code?: string } } }>);
    expect(answered.error?.data?.code).toBe('REQUEST_CANCELLED');
    expect(proxy.child.exitCode).toBeNull();
    const c = await client();
    expect((await c.callTool({ name: `${backend}/add`, arguments: { a: 1, b: 2 } })).structuredContent).toEqual({ sum: 3 });
  });
});

describe('many clients', () => {
  it('serves two clients at once on one shared backend session, with their own ids', async () => {
    const [a, b] = [await client(), await client()];
    const calls = Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).callTool({ name: i % 4 < 2 ? 'files/add' : 'web/add', arguments: { a: i, b: 1000 } }));
    const results = await Promise.all(calls);
    results.forEach((r, i) => expect(r.structuredContent).toEqual({ sum: i + 1000 }));
  });
});

describe('GET stream resumability (Last-Event-ID)', () => {
  /** The first `count` SSE events of a GET stream (then the stream is released). */
  async function events(res: Response, count: number): Promise<{ id?: string; data: string }[]> {
    const out: { id?: string; data: string }[] = [];
    for await (const e of sseEvents(res)) if (out.push(e) >= count) break;
    return out;
  }

  it('replays what a reconnecting client missed, in order, after a priming event id', async () => {
    const { sid } = await rawSession(proxy.url);
    const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25', accept: 'text/event-stream' };
    const c = await client();
    /** A GET on this session once the previous one is gone (409 while it is still open). */
    const reopen = async (lastEventId: string): Promise<Response> =>
      (await eventually(async () => {
        const r = await fetch(proxy.url, { headers: { ...h, 'last-event-id': lastEventId } });
        if (r.status === 200) return r;
        expect(r.status).toBe(409);
        await r.text();
        return undefined;
      }, 'the previous GET stream to close'))!;

    // 1st connection: a priming event, then one list_changed
    const first = await fetch(proxy.url, { headers: h });
    expect(first.status).toBe(200);
    const firstEvents = events(first, 2);
    await c.callTool({ name: 'web/add_tool', arguments: { name: 'resume_a' } });
    const [priming, seen] = await firstEvents;
    expect(priming).toEqual({ id: expect.stringMatching(/^g\d+$/), data: '' });
    expect(JSON.parse(seen!.data).method).toBe('notifications/tools/list_changed');
    expect(seen!.id).toMatch(/^g\d+$/);

    // disconnected: two more changes happen
    await c.callTool({ name: 'web/add_tool', arguments: { name: 'resume_b' } });
    await c.callTool({ name: 'web/add_tool', arguments: { name: 'resume_c' } });
    await eventually(async () => (await allTools(c)).names.includes('web/resume_c'), 'the catalog to see resume_c');

    // reconnect with Last-Event-ID: the missed messages come first, with later ids, then a new priming id
    const second = await reopen(seen!.id!);
    const replayed = await events(second, 3);
    const num = (id?: string): number => Number(id!.slice(1));
    expect(replayed.slice(0, 2).map((e) => JSON.parse(e.data).method)).toEqual(['notifications/tools/list_changed', 'notifications/tools/list_changed']);
    expect(num(replayed[0]!.id)).toBeGreaterThan(num(seen!.id));
    expect(num(replayed[1]!.id)).toBeGreaterThan(num(replayed[0]!.id));
    expect(replayed[2]).toEqual({ id: replayed[1]!.id, data: '' });

    // an id this session never issued replays nothing
    const third = await reopen('g999999');
    const metrics = await (await fetch(`${proxy.base}/admin/metrics`)).text();
    expect(Number(/^mcp_relay_client_streams (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
    expect(await events(third, 1)).toEqual([{ id: replayed[1]!.id, data: '' }]);
    // ending the session closes its stream and drops its log
    expect((await fetch(proxy.url, { method: 'DELETE', headers: { 'mcp-session-id': sid } })).status).toBe(200);
  });
});

describe('list_changed', () => {
  it('refreshes the aggregate and tells connected clients when a backend list changes', async () => {
    const watcher = await client();
    let notified = 0;
    watcher.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      notified++;
    });
    const c = await client();
    // The SDK opens its GET stream in the background and a notification sent before it is
    // open has nowhere to go: keep changing the list (first adding `fresh`) until one arrives.
    let n = 0;
    await eventually(async () => {
      await c.callTool({ name: 'web/add_tool', arguments: { name: n++ === 0 ? 'fresh' : `warm_${n}` } });
      return notified > 0;
    }, 'tools/list_changed at the watcher');
    const { names } = await allTools(watcher);
    expect(names).toContain('web/fresh');
    const r = await watcher.callTool({ name: 'web/fresh', arguments: {} });
    expect(JSON.stringify(r.content)).toContain('dynamic:fresh');
  });
});

describe('backend failure', () => {
  it('fails in-flight calls when a stdio backend crashes, restarts it, and serves again', async () => {
    const c = await client();
    const e = await rpcError(() => c.callTool({ name: 'files/crash', arguments: {} }));
    expect(e.data).toMatchObject({ code: 'BACKEND_EXITED', backend: 'files' });
    // other backends are unaffected
    expect((await c.callTool({ name: 'web/add', arguments: { a: 1, b: 1 } })).structuredContent).toEqual({ sum: 2 });
    await eventually(async () => {
      const h = await getJson(`${proxy.base}/admin/health`);
      return h.backends.find((b: { name: string }) => b.name === 'files').status === 'ready';
    }, 'files backend to restart');
    const r = await c.callTool({ name: 'files/say', arguments: { message: 'back' } });
    expect(r.content).toEqual([{ type: 'text', text: 'back' }]);
    const backends = await getJson(`${proxy.base}/admin/backends`);
    expect(backends.backends.find((b: { name: string }) => b.name === 'files').connects).toBeGreaterThanOrEqual(2);
  });
});
