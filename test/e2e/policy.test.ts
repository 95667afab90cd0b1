/**
 * The policy stack end to end (real proxy process, real backends): filters,
 * argument injection, parameter overrides, schema validation, argument size,
 * composite tools and search mode — and one test per path (alias, composite,
 * search, mirror) proving no path reaches a backend around a stage.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startDemoHttpServer, type DemoHttpServer } from '../../src/demo/http.js';
import { connect, demoStdio, eventually, getJson, startProxy, type ProxyHandle } from '../helpers/proxy.js';

let d: DemoHttpServer; // heavily filtered and injected
let w: DemoHttpServer; // parameter overrides + validation
let canary: DemoHttpServer; // mirror of d
let direct: ProxyHandle;
let search: ProxyHandle;
let c: Client;
let s: Client;

type RpcError = { code: number; message: string; data: Record<string, any> };
const rpcError = (p: Promise<unknown>): Promise<RpcError> =>
  p.then(
    () => {
      throw new Error('expected a JSON-RPC error');
    },
    (e: RpcError) => e,
  );
const text = (r: object): string => (((r as { content?: unknown }).content as { text?: string }[]) ?? []).map((x) => x.text ?? '').join('\n');

const BACKENDS = (dUrl: string, wUrl: string, canaryUrl: string): string => `
[[backends]]
name = "d"
transport = "http"
url = "${dUrl}"
hide_tools = ["write_*", "re:^tool_err"]
hide_resources = ["demo://readme", "demo://item/*"]
hide_prompts = ["summary"]
default_args = { trace = "t1" }

[[backends.aliases]]
from = "write_note"
to = "note"

[[backends.inject_args]]
tool = "add"
args = { b = 2 }

[[backends.inject_args]]
tool = "echo"
args = { message = "forced" }
overwrite = true

[[backends]]
name = "w"
transport = "http"
url = "${wUrl}"
validate_arguments = true

[[backends.param_overrides]]
tool = "add"
rename = { a = "x" }
hide = ["b"]
defaults = { b = 3 }

[[backends]]
name = "s"
transport = "stdio"
${demoStdio('--name', 's', '--crash-tool')}
hide_destructive = true

[[backends]]
name = "r"
transport = "stdio"
${demoStdio('--name', 'r')}
read_only_only = true
expose_prompts = []
hide_resources = ["demo://item/{id}"]

[[backends]]
name = "d-canary"
transport = "http"
url = "${canaryUrl}"
mirror_of = "d"
`;

beforeAll(async () => {
  d = await startDemoHttpServer({ name: 'd' });
  w = await startDemoHttpServer({ name: 'w' });
  canary = await startDemoHttpServer({ name: 'd', variant: 'canary' });
  const composites = `
[security]
max_argument_size = 400

[[composite_tools]]
name = "sum_all"
description = "add on every backend"
tools = ["d/add", "w/add", "d/note"]

[[composite_tools]]
name = "with_timeout"
tools = ["s/add", "s/hang"]
timeout_seconds = 2
`;
  direct = await startProxy(composites + BACKENDS(d.url, w.url, canary.url));
  search = await startProxy(`[proxy]\ntool_exposure = "search"\n` + composites + BACKENDS(d.url, w.url, canary.url));
  c = await connect(direct.url);
  s = await connect(search.url);
});

afterAll(async () => {
  await c?.close();
  await s?.close();
  await direct?.stop();
  await search?.stop();
  await Promise.all([d?.close(), w?.close(), canary?.close()]);
});

describe('filters', () => {
  it('hidden tools leave the list and their calls fail without reaching the backend', async () => {
    const names = (await c.listTools()).tools.map((t) => t.name);
    expect(names).toContain('d/add');
    expect(names).not.toContain('d/note');
    expect(names).not.toContain('d/write_note');
    expect(names).not.toContain('d/tool_error');
    const e = await rpcError(c.callTool({ name: 'd/tool_error', arguments: {} }));
    expect(e.code).toBe(-32602);
    expect(e.data).toMatchObject({ code: 'POLICY_DENIED', reason: 'hidden by hide_tools' });
    expect(d.stats.calls['tool:tool_error']).toBeUndefined();
  });

  it('annotation rules block calls, not only listing', async () => {
    const names = (await c.listTools()).tools.map((t) => t.name);
    expect(names).not.toContain('s/crash');
    expect(names).toContain('s/write_note');
    expect(names).not.toContain('r/write_note');
    expect(names).toContain('r/add');
    const crash = await rpcError(c.callTool({ name: 's/crash', arguments: {} }));
    expect(crash.data.reason).toContain('hide_destructive');
    const write = await rpcError(c.callTool({ name: 'r/write_note', arguments: { text: 'x' } }));
    expect(write.data.reason).toContain('read_only_only');
    // the backend that would have crashed is still up
    expect(text(await c.callTool({ name: 's/add', arguments: { a: 1, b: 1 } }))).toBe('2');
  });

  it('filters resources, templates and prompts (an empty expose list exposes nothing)', async () => {
    const uris = (await c.listResources()).resources.map((r) => r.uri);
    expect(uris).toContain('d/demo://info');
    expect(uris).not.toContain('d/demo://readme');
    const templates = (await c.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates).not.toContain('d/demo://item/{id}');
    expect(templates).toContain('w/demo://item/{id}');
    const e = await rpcError(c.readResource({ uri: 'd/demo://item/7' }));
    expect(e.data.code).toBe('POLICY_DENIED');
    expect(e.data.reason).toContain('hidden by hide_resources');
    // a pattern naming the template (not its URIs) also blocks reads of every URI it expands to
    const viaTemplate = await rpcError(c.readResource({ uri: 'r/demo://item/5' }));
    expect(viaTemplate.data.reason).toContain('template demo://item/{id}');
    expect((await c.readResource({ uri: 'r/demo://info' })).contents.length).toBe(1);
    expect(d.stats.calls['resource:demo://item/7']).toBeUndefined();
    const prompts = (await c.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain('d/greet');
    expect(prompts).not.toContain('d/summary');
    expect(prompts.filter((p) => p.startsWith('r/'))).toEqual([]);
    expect((await rpcError(c.getPrompt({ name: 'd/summary' }))).data.code).toBe('POLICY_DENIED');
  });
});

describe('argument injection', () => {
  it('precedence is client > per-tool > default; injected keys reach the backend', async () => {
    expect(text(await c.callTool({ name: 'd/add', arguments: { a: 5 } }))).toBe('7');
    expect(text(await c.callTool({ name: 'd/add', arguments: { a: 5, b: 10 } }))).toBe('15');
    const seen = d.stats.args['tool:add'] as Record<string, unknown>[];
    expect(seen.at(-2)).toEqual({ a: 5, b: 2, trace: 't1' });
    expect(seen.at(-1)).toEqual({ a: 5, b: 10, trace: 't1' });
  });

  it('overwrite = true beats the client, and the forced key leaves the advertised schema', async () => {
    expect(text(await c.callTool({ name: 'd/echo', arguments: { message: 'mine' } }))).toBe('forced');
    const tools = (await c.listTools()).tools;
    const echo = tools.find((t) => t.name === 'd/echo')!;
    expect(Object.keys(echo.inputSchema.properties ?? {})).not.toContain('message');
    const add = tools.find((t) => t.name === 'd/add')!;
    expect(add.inputSchema.required ?? []).not.toContain('b');
  });
});

describe('parameter overrides and validation', () => {
  it('rewrites the advertised schema and maps calls back', async () => {
    const add = (await c.listTools()).tools.find((t) => t.name === 'w/add')!;
    expect(Object.keys(add.inputSchema.properties ?? {}).sort()).toEqual(['x']);
    expect(add.inputSchema.required).toEqual(['x']);
    expect(text(await c.callTool({ name: 'w/add', arguments: { x: 4 } }))).toBe('7');
    expect((w.stats.args['tool:add'] as unknown[]).at(-1)).toEqual({ a: 4, b: 3 });
  });

  it('refuses hidden parameters and original names of renamed ones', async () => {
    const hidden = await rpcError(c.callTool({ name: 'w/add', arguments: { x: 1, b: 9 } }));
    expect(hidden.data).toMatchObject({ code: 'INVALID_ARGUMENTS', parameter: 'b' });
    const renamed = await rpcError(c.callTool({ name: 'w/add', arguments: { a: 1 } }));
    expect(renamed.message).toContain('`x`');
  });

  it('validates arguments against the advertised schema and says which field failed', async () => {
    const before = w.stats.calls['tool:add'] ?? 0;
    const wrongType = await rpcError(c.callTool({ name: 'w/add', arguments: { x: 'four' } }));
    expect(wrongType.code).toBe(-32602);
    expect(wrongType.data.code).toBe('INVALID_ARGUMENTS');
    expect(wrongType.message).toContain('`x`');
    const missing = await rpcError(c.callTool({ name: 'w/add', arguments: {} }));
    expect(missing.message).toContain('required');
    expect(missing.message).toContain('`x`');
    expect(w.stats.calls['tool:add'] ?? 0).toBe(before);
  });

  it('refuses arguments over security.max_argument_size', async () => {
    const e = await rpcError(c.callTool({ name: 's/echo', arguments: { message: 'x'.repeat(500) } }));
    expect(e.data).toMatchObject({ code: 'ARGUMENTS_TOO_LARGE', limit: 400 });
  });
});

describe('composite tools', () => {
  it('fans out through each target’s policy stack, labelled and in config order', async () => {
    const tools = (await c.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('sum_all');
    const r = await c.callTool({ name: 'sum_all', arguments: { x: 1, a: 1 } });
    const labels = (r.content as { text?: string }[]).map((x) => x.text ?? '').filter((t) => t.startsWith('['));
    expect(labels).toEqual(['[d/add] ok', '[w/add] error', '[d/note] error']);
    expect(r.isError).toBe(true);
    const results = (r.structuredContent as { results: { tool: string; ok: boolean; error?: { message: string } }[] }).results;
    // d/add got its injected b = 2 (1 + 2 = 3)
    expect(text({ content: (r.content as unknown[]).slice(1, 2) })).toBe('3');
    // w/add refused `a` (renamed to x), d/note is a hidden original: both stopped by the stack
    expect(results[1]!.error!.message).toContain('not accepted');
    expect(results[2]!.error!.message).toContain('not available');
  });

  it('applies the per-target timeout', async () => {
    const r = await c.callTool({ name: 'with_timeout', arguments: { a: 2, b: 2 } });
    const results = (r.structuredContent as { results: { tool: string; ok: boolean; error?: { code: number } }[] }).results;
    expect(results.map((x) => [x.tool, x.ok])).toEqual([['s/add', true], ['s/hang', false]]);
    expect(results[1]!.error!.code).toBe(-32011);
  });
});

describe('search mode', () => {
  it('lists only the discovery tools and composites', async () => {
    const names = (await s.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual(['proxy/call_tool', 'proxy/search_tools', 'proxy/tool_categories', 'sum_all', 'with_timeout']);
  });

  it('finds allowed tools by what they do, never hidden ones', async () => {
    const r = await s.callTool({ name: 'proxy/search_tools', arguments: { query: 'add numbers', top_k: 5 } });
    const matches = (r.structuredContent as { matches: { name: string }[] }).matches.map((m) => m.name);
    expect(matches).toContain('d/add');
    const notes = await s.callTool({ name: 'proxy/search_tools', arguments: { query: 'note save write' } });
    const found = (notes.structuredContent as { matches: { name: string }[] }).matches.map((m) => m.name);
    expect(found).not.toContain('d/note');
    expect(found).not.toContain('r/write_note');
    expect(found).toContain('s/write_note');
    const cats = await s.callTool({ name: 'proxy/tool_categories', arguments: {} });
    expect((cats.structuredContent as { categories: { namespace: string }[] }).categories.map((x) => x.namespace)).toEqual(['d', 'w', 's', 'r']);
  });

  it('proxy/call_tool goes through the whole policy stack', async () => {
    const r = await s.callTool({ name: 'proxy/call_tool', arguments: { name: 'd/add', arguments: { a: 40 } } });
    expect(text(r)).toBe('42');
    const denied = await rpcError(s.callTool({ name: 'proxy/call_tool', arguments: { name: 'd/note', arguments: { text: 'x' } } }));
    expect(denied.data.code).toBe('POLICY_DENIED');
    const invalid = await rpcError(s.callTool({ name: 'proxy/call_tool', arguments: { name: 'w/add', arguments: { x: 'no' } } }));
    expect(invalid.data.code).toBe('INVALID_ARGUMENTS');
  });
});

describe('no path around the stack', () => {
  it('alias: an alias of a hidden tool is hidden and blocked', async () => {
    const e = await rpcError(c.callTool({ name: 'd/note', arguments: { text: 'x' } }));
    expect(e.data).toMatchObject({ code: 'POLICY_DENIED' });
    expect(d.stats.calls['tool:write_note']).toBeUndefined();
  });

  it('mirror: copies carry the injected arguments, and hidden tools are never mirrored', async () => {
    await c.callTool({ name: 'd/add', arguments: { a: 100 } });
    await eventually(() => (canary.stats.args['tool:add'] as unknown[] | undefined)?.some((x) => (x as { a: number }).a === 100), 'the copy at the canary');
    expect((canary.stats.args['tool:add'] as unknown[]).find((x) => (x as { a: number }).a === 100)).toEqual({ a: 100, b: 2, trace: 't1' });
    expect(canary.stats.calls['tool:write_note']).toBeUndefined();
    expect(canary.stats.calls['tool:tool_error']).toBeUndefined();
    const report = await getJson(`${direct.base}/admin/mirror`);
    expect(report.mirrors[0].counters.failed).toBe(0);
  });
});
