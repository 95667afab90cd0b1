import { describe, expect, it } from 'vitest';
import type { Reply } from '../../../src/backends/backend.js';
import type { Catalog, Route } from '../../../src/catalog/catalog.js';
import { RelayError } from '../../../src/errors.js';
import type { Item } from '../../../src/pipeline/types.js';
import { searchTools } from '../../../src/tools/search.js';
import { VirtualTools, type ToolIO, type VirtualOutcome, type VirtualTool } from '../../../src/tools/virtual.js';
import { backendToml, config, FakeBackend, relayError, route, tool } from './fixtures.js';

const BASE = backendToml('files') + backendToml('weather') + backendToml('git');

/** A catalog with only what the search tools may use: advertisedTools() and its version. */
class FakeCatalog {
  version = 1;
  advertised: Item[];
  /** Routes, as the real catalog holds them: may include tools that are not advertised. */
  readonly tools = new Map<string, Route>();
  reads = 0;
  constructor(advertised: Item[]) {
    this.advertised = advertised;
  }
  advertisedTools(): { version: number; tools: readonly Item[] } {
    this.reads++;
    return { version: this.version, tools: this.advertised };
  }
}

const ADVERTISED: Item[] = [
  { name: 'files/read_file', description: 'Read the complete contents of a file from disk', inputSchema: { type: 'object', properties: { path: { type: 'string', description: 'Path of the file' } } } },
  { name: 'files/write_file', description: 'Create or overwrite a file', inputSchema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } } },
  { name: 'weather/get_forecast', description: 'Get the weather forecast for a city', inputSchema: { type: 'object', properties: { city: { type: 'string', description: 'City name' } } } },
  { name: 'git/log', description: 'Show commit history', inputSchema: { type: 'object', properties: { max_count: { type: 'integer', description: 'Number of commits to show' } } } },
];

function tools(toml: string, catalog = new FakeCatalog(ADVERTISED)): Map<string, VirtualTool> {
  const list = searchTools(config(toml), () => catalog as unknown as Catalog);
  return new Map(list.map((t) => [String(t.item.name), t]));
}

function searchMode(catalog = new FakeCatalog(ADVERTISED)): Map<string, VirtualTool> {
  return tools(`[proxy]\ntool_exposure = "search"\n\n${BASE}`, catalog);
}

function structured(outcome: VirtualOutcome): Record<string, unknown> {
  expect(outcome).toHaveProperty('result');
  const result = (outcome as { result: { content: { text: string }[]; structuredContent: Record<string, unknown> } }).result;
  // The text content carries the same data as structuredContent.
  expect(JSON.parse(result.content[0]!.text)).toEqual(result.structuredContent);
  return result.structuredContent;
}

async function search(t: Map<string, VirtualTool>, args: Record<string, unknown>): Promise<{ name: string; description: string; score: number }[]> {
  return structured(await t.get('proxy/search_tools')!.call(args, noIO())).matches as { name: string; description: string; score: number }[];
}

function noIO(): ToolIO {
  return {
    catalog: {} as Catalog,
    virtual: () => undefined,
    resolveTool: () => {
      throw new Error('not expected');
    },
    callRoute: () => Promise.reject(new Error('not expected')),
  };
}

describe('search tools: which exist', () => {
  it('direct exposure without tool_discovery creates none', () => {
    expect(tools(BASE).size).toBe(0);
    expect(tools(`[proxy]\ntool_exposure = "direct"\ntool_discovery = false\n\n${BASE}`).size).toBe(0);
    expect(new VirtualTools(config(BASE), () => ({}) as Catalog).size).toBe(0);
  });

  it('tool_discovery = true in direct mode adds search_tools and tool_categories, but no call_tool', () => {
    expect([...tools(`[proxy]\ntool_discovery = true\n\n${BASE}`).keys()]).toEqual(['proxy/search_tools', 'proxy/tool_categories']);
    const v = new VirtualTools(config(`[proxy]\ntool_discovery = true\n\n${BASE}`), () => ({}) as Catalog);
    expect(v.replaceList).toBe(false);
  });

  it('search mode has all three and replaces the list', () => {
    expect([...searchMode().keys()]).toEqual(['proxy/search_tools', 'proxy/tool_categories', 'proxy/call_tool']);
    const v = new VirtualTools(config(`[proxy]\ntool_exposure = "search"\n\n${BASE}`), () => ({}) as Catalog);
    expect(v.replaceList).toBe(true);
  });

  it('names use the configured separator', () => {
    expect([...tools(`[proxy]\nseparator = "."\ntool_exposure = "search"\n\n${BASE}`).keys()]).toEqual(['proxy.search_tools', 'proxy.tool_categories', 'proxy.call_tool']);
  });

  it('search tools are read-only; call_tool is not', () => {
    const t = searchMode();
    expect(t.get('proxy/search_tools')!.item.annotations).toEqual({ readOnlyHint: true });
    expect(t.get('proxy/tool_categories')!.item.annotations).toEqual({ readOnlyHint: true });
    expect(t.get('proxy/call_tool')!.item.annotations).toBeUndefined();
  });
});

describe('proxy/search_tools', () => {
  it('ranks a tool whose name or description matches above the others', async () => {
    const t = searchMode();
    const byDescription = await search(t, { query: 'weather forecast' });
    expect(byDescription[0]!.name).toBe('weather/get_forecast');
    expect(byDescription[0]!.description).toBe('Get the weather forecast for a city');
    const byName = await search(t, { query: 'write_file' });
    expect(byName[0]!.name).toBe('files/write_file');
    const commits = await search(t, { query: 'commit history' });
    expect(commits[0]!.name).toBe('git/log');
    for (const list of [byDescription, byName, commits]) {
      const scores = list.map((m) => m.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
    }
  });

  it('matches parameter names and descriptions too', async () => {
    const matches = await search(searchMode(), { query: 'city' });
    expect(matches[0]!.name).toBe('weather/get_forecast');
  });

  it('returns no matches for an unrelated query', async () => {
    expect(await search(searchMode(), { query: 'zzzqqq' })).toEqual([]);
  });

  it('respects top_k (default 10, at most 50)', async () => {
    const many: Item[] = Array.from({ length: 60 }, (_, i) => tool(`files/report_${i}`));
    const t = searchMode(new FakeCatalog(many));
    expect(await search(t, { query: 'report' })).toHaveLength(10);
    expect(await search(t, { query: 'report', top_k: 3 })).toHaveLength(3);
    expect(await search(t, { query: 'report', top_k: 500 })).toHaveLength(50);
    expect(await search(searchMode(), { query: 'file', top_k: 1 })).toHaveLength(1);
  });

  it('refuses a missing or empty query with INVALID_ARGUMENTS', async () => {
    const t = searchMode();
    expect((await relayError(t.get('proxy/search_tools')!.call({}, noIO()))).code).toBe('INVALID_ARGUMENTS');
    expect((await relayError(t.get('proxy/search_tools')!.call({ query: '' }, noIO()))).code).toBe('INVALID_ARGUMENTS');
  });

  it('only sees tools from catalog.advertisedTools()', async () => {
    const catalog = new FakeCatalog(ADVERTISED);
    // A route the catalog holds but does not advertise is not searchable.
    catalog.tools.set('files/delete_everything', route(new FakeBackend('files'), 'tool', 'delete_everything', tool('delete_everything')));
    const t = searchMode(catalog);
    expect(await search(t, { query: 'delete everything' })).toEqual([]);
    expect(catalog.reads).toBeGreaterThan(0);
    const categories = structured(await t.get('proxy/tool_categories')!.call({}, noIO())).categories as { namespace: string; tools: number }[];
    expect(categories.find((c) => c.namespace === 'files')?.tools).toBe(2);
  });

  it('rebuilds the index when the tool list version changes, not before', async () => {
    const catalog = new FakeCatalog(ADVERTISED);
    const t = searchMode(catalog);
    expect(await search(t, { query: 'deploy' })).toEqual([]);
    catalog.advertised = [...ADVERTISED, { name: 'git/deploy', description: 'Deploy the current branch' }];
    // Same version: the index is not rebuilt.
    expect(await search(t, { query: 'deploy' })).toEqual([]);
    catalog.version++;
    expect((await search(t, { query: 'deploy' })).map((m) => m.name)).toEqual(['git/deploy']);
    // And removals are seen too.
    catalog.advertised = ADVERTISED.slice(0, 1);
    catalog.version++;
    expect((await search(t, { query: 'weather' })).map((m) => m.name)).toEqual([]);
  });
});

describe('proxy/tool_categories', () => {
  it('counts tools per namespace', async () => {
    const t = searchMode();
    const out = structured(await t.get('proxy/tool_categories')!.call({}, noIO()));
    expect(out.categories).toEqual([
      { namespace: 'files', tools: 2 },
      { namespace: 'weather', tools: 1 },
      { namespace: 'git', tools: 1 },
    ]);
  });

  it('follows the tool list version', async () => {
    const catalog = new FakeCatalog(ADVERTISED);
    const t = searchMode(catalog);
    await t.get('proxy/tool_categories')!.call({}, noIO());
    catalog.advertised = ADVERTISED.filter((x) => String(x.name).startsWith('files/'));
    catalog.version++;
    expect(structured(await t.get('proxy/tool_categories')!.call({}, noIO())).categories).toEqual([{ namespace: 'files', tools: 2 }]);
  });

  it('uses the configured separator', async () => {
    const t = tools(`[proxy]\nseparator = "__"\ntool_discovery = true\n\n${BASE}`, new FakeCatalog([tool('files__read'), tool('files__write'), tool('git__log')]));
    expect(structured(await t.get('proxy__tool_categories')!.call({}, noIO())).categories).toEqual([
      { namespace: 'files', tools: 2 },
      { namespace: 'git', tools: 1 },
    ]);
  });
});

describe('proxy/call_tool', () => {
  function recordingIO(virtuals: Map<string, VirtualTool> = new Map()): ToolIO & { resolved: string[]; called: { route: Route; args: Record<string, unknown>; timeoutMs?: number }[] } {
    const resolved: string[] = [];
    const called: { route: Route; args: Record<string, unknown>; timeoutMs?: number }[] = [];
    return {
      resolved,
      called,
      catalog: {} as Catalog,
      virtual: (name) => virtuals.get(name),
      resolveTool(name) {
        resolved.push(name);
        if (name !== 'files/read_file') throw new RelayError('UNKNOWN_TOOL', `Unknown tool: ${name}`, { name });
        return route(new FakeBackend('files'), 'tool', 'read_file', tool('read_file'), name);
      },
      async callRoute(r, args, timeoutMs) {
        called.push({ route: r, args, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
        return { raw: '{"jsonrpc":"2.0","id":"~r0","result":{"content":[]}}', idText: '"~r0"' } satisfies Reply;
      },
    };
  }

  it('resolves the target with io.resolveTool and calls its route with the arguments', async () => {
    const io = recordingIO();
    const out = await searchMode().get('proxy/call_tool')!.call({ name: 'files/read_file', arguments: { path: '/etc/hosts' } }, io);
    expect(io.resolved).toEqual(['files/read_file']);
    expect(io.called).toHaveLength(1);
    expect(io.called[0]!.route.local).toBe('read_file');
    expect(io.called[0]!.args).toEqual({ path: '/etc/hosts' });
    expect(out).toEqual({ reply: { raw: '{"jsonrpc":"2.0","id":"~r0","result":{"content":[]}}', idText: '"~r0"' } });
  });

  it('missing or null arguments are sent as {}; non-object arguments are refused like a direct call', async () => {
    const t = searchMode();
    const io = recordingIO();
    await t.get('proxy/call_tool')!.call({ name: 'files/read_file' }, io);
    await t.get('proxy/call_tool')!.call({ name: 'files/read_file', arguments: null }, io);
    expect(io.called.map((c) => c.args)).toEqual([{}, {}]);
    const err = await relayError(t.get('proxy/call_tool')!.call({ name: 'files/read_file', arguments: [1, 2] }, io));
    expect(err.code).toBe('INVALID_PARAMS');
    expect(io.called).toHaveLength(2);
  });

  it('an unknown target fails the way a direct call would', async () => {
    const err = await relayError(searchMode().get('proxy/call_tool')!.call({ name: 'files/nope' }, recordingIO()));
    expect(err.code).toBe('UNKNOWN_TOOL');
  });

  it('refuses proxy/* targets without resolving or calling anything', async () => {
    const t = searchMode();
    const io = recordingIO(t);
    for (const target of ['proxy/call_tool', 'proxy/search_tools', 'proxy/tool_categories']) {
      const err = await relayError(t.get('proxy/call_tool')!.call({ name: target, arguments: { query: 'x' } }, io));
      expect(err.code).toBe('INVALID_ARGUMENTS');
      expect(err.message).toContain(target);
    }
    expect(io.resolved).toEqual([]);
    expect(io.called).toEqual([]);
  });

  it('refuses a missing name with INVALID_ARGUMENTS', async () => {
    const err = await relayError(searchMode().get('proxy/call_tool')!.call({ arguments: {} }, recordingIO()));
    expect(err.code).toBe('INVALID_ARGUMENTS');
    expect(err.message).toContain('`name`');
  });

  it('can call a composite tool, which then calls its targets through io', async () => {
    const cfg = config(`[proxy]\ntool_exposure = "search"\n\n${BASE}\n[[composite_tools]]\nname = "both"\ntools = ["files/read_file"]`);
    const v = new VirtualTools(cfg, () => new FakeCatalog(ADVERTISED) as unknown as Catalog);
    const io = recordingIO(new Map([['both', v.get('both')!]]));
    const out = await v.get('proxy/call_tool')!.call({ name: 'both', arguments: { path: '/x' } }, io);
    expect(io.called.map((c) => c.args)).toEqual([{ path: '/x' }]);
    expect((out as { result: { content: { text: string }[] } }).result.content[0]!.text).toBe('[files/read_file] ok');
  });
});
