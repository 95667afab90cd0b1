import { describe, expect, it } from 'vitest';
import type { Reply } from '../../../src/backends/backend.js';
import type { Catalog, Route } from '../../../src/catalog/catalog.js';
import { compositeTools } from '../../../src/tools/composite.js';
import type { ToolIO, VirtualOutcome, VirtualTool } from '../../../src/tools/virtual.js';
import { RelayError } from '../../../src/errors.js';
import { backendToml, config, FakeBackend, route, tool } from './fixtures.js';

const BASE = backendToml('a') + backendToml('b');

function composite(extra: string): VirtualTool {
  const tools = compositeTools(config(BASE + extra));
  expect(tools).toHaveLength(1);
  return tools[0]!;
}

interface Behaviour {
  delayMs?: number;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
  throws?: Error;
}

/** A ToolIO over fake routes; records calls and completion order. */
function fakeIO(behaviours: Record<string, Behaviour>): ToolIO & { calls: { name: string; args: Record<string, unknown>; timeoutMs: number | undefined }[]; completed: string[] } {
  const calls: { name: string; args: Record<string, unknown>; timeoutMs: number | undefined }[] = [];
  const completed: string[] = [];
  const routes = new Map<string, Route>();
  return {
    calls,
    completed,
    catalog: {} as Catalog,
    virtual: () => undefined,
    resolveTool(name) {
      if (!(name in behaviours)) throw new RelayError('UNKNOWN_TOOL', `Unknown tool: ${name}`, { name });
      let r = routes.get(name);
      if (!r) {
        const [backend, local] = name.split('/') as [string, string];
        r = route(new FakeBackend(backend), 'tool', local, tool(local), name);
        routes.set(name, r);
      }
      return r;
    },
    async callRoute(r, args, timeoutMs) {
      calls.push({ name: r.exposed, args, timeoutMs });
      const b = behaviours[r.exposed]!;
      if (b.delayMs) await new Promise((res) => setTimeout(res, b.delayMs));
      completed.push(r.exposed);
      if (b.throws) throw b.throws;
      const body = b.error ? { jsonrpc: '2.0', id: '~r1', error: b.error } : { jsonrpc: '2.0', id: '~r1', result: b.result ?? { content: [{ type: 'text', text: `from ${r.exposed}` }] } };
      return { raw: JSON.stringify(body), idText: '"~r1"' } satisfies Reply;
    },
  };
}

type Result = { content: { type: string; text: string }[]; structuredContent: { results: { tool: string; ok: boolean; error?: { code: number; message: string }; structuredContent?: unknown }[] }; isError?: boolean };

function resultOf(outcome: VirtualOutcome): Result {
  expect(outcome).toHaveProperty('result');
  return (outcome as { result: Result }).result;
}

const texts = (r: Result): string[] => r.content.map((c) => c.text);

describe('composite tools', () => {
  it('none configured, none created', () => {
    expect(compositeTools(config(BASE))).toEqual([]);
  });

  it('advertise their name, an object input schema and a description naming the targets', () => {
    const t = composite('[[composite_tools]]\nname = "fanout"\ntools = ["a/x", "b/y"]');
    expect(t.item.name).toBe('fanout');
    expect(t.item.inputSchema).toEqual({ type: 'object' });
    expect(String(t.item.description)).toContain('a/x');
    expect(String(t.item.description)).toContain('b/y');
    const described = composite('[[composite_tools]]\nname = "fanout"\ndescription = "Both"\ntools = ["a/x"]');
    expect(described.item.description).toBe('Both');
  });

  it('results come back in config order regardless of completion order', async () => {
    const t = composite('[[composite_tools]]\nname = "fanout"\ntools = ["a/slow", "b/fast", "a/mid"]');
    const io = fakeIO({ 'a/slow': { delayMs: 40 }, 'b/fast': {}, 'a/mid': { delayMs: 10 } });
    const r = resultOf(await t.call({ q: 1 }, io));
    expect(io.completed).toEqual(['b/fast', 'a/mid', 'a/slow']);
    expect(texts(r)).toEqual(['[a/slow] ok', 'from a/slow', '[b/fast] ok', 'from b/fast', '[a/mid] ok', 'from a/mid']);
    expect(r.structuredContent.results.map((x) => x.tool)).toEqual(['a/slow', 'b/fast', 'a/mid']);
    expect(r.isError).toBeUndefined();
  });

  it('targets run in parallel with the same arguments', async () => {
    const t = composite('[[composite_tools]]\nname = "fanout"\ntools = ["a/x", "b/y"]');
    const io = fakeIO({ 'a/x': { delayMs: 20 }, 'b/y': { delayMs: 20 } });
    const pending = t.call({ q: 'same' }, io);
    // Both targets were called before either finished.
    expect(io.calls.map((c) => c.name)).toEqual(['a/x', 'b/y']);
    expect(io.completed).toEqual([]);
    await pending;
    expect(io.calls.map((c) => c.args)).toEqual([{ q: 'same' }, { q: 'same' }]);
  });

  it('carries each target structuredContent', async () => {
    const t = composite('[[composite_tools]]\nname = "fanout"\ntools = ["a/x", "b/y"]');
    const io = fakeIO({ 'a/x': { result: { content: [], structuredContent: { n: 1 } } }, 'b/y': {} });
    const r = resultOf(await t.call({}, io));
    expect(r.structuredContent.results).toEqual([
      { tool: 'a/x', ok: true, structuredContent: { n: 1 } },
      { tool: 'b/y', ok: true },
    ]);
  });

  it('a target result with isError is labelled error and makes the composite isError', async () => {
    const t = composite('[[composite_tools]]\nname = "fanout"\ntools = ["a/x", "b/y"]');
    const io = fakeIO({ 'a/x': {}, 'b/y': { result: { content: [{ type: 'text', text: 'boom' }], isError: true } } });
    const r = resultOf(await t.call({}, io));
    expect(texts(r)).toEqual(['[a/x] ok', 'from a/x', '[b/y] error', 'boom']);
    expect(r.structuredContent.results.map((x) => x.ok)).toEqual([true, false]);
    expect(r.isError).toBe(true);
  });

  it('a thrown RelayError becomes a labelled error item with its code and message', async () => {
    const t = composite('[[composite_tools]]\nname = "fanout"\ntools = ["a/hidden", "b/y"]');
    const denied = new RelayError('POLICY_DENIED', 'Tool not available: a/hidden (hidden by hide_tools)', { name: 'a/hidden' });
    const io = fakeIO({ 'a/hidden': { throws: denied }, 'b/y': {} });
    const r = resultOf(await t.call({}, io));
    expect(r.content[0]!.text).toBe('[a/hidden] error');
    expect(r.content[1]!.text).toContain('-32602');
    expect(r.content[1]!.text).toContain('Tool not available: a/hidden (hidden by hide_tools)');
    expect(r.structuredContent.results[0]).toEqual({ tool: 'a/hidden', ok: false, error: { code: -32602, message: 'Tool not available: a/hidden (hidden by hide_tools)', data: { code: 'POLICY_DENIED', name: 'a/hidden' } } });
    expect(r.structuredContent.results[1]).toEqual({ tool: 'b/y', ok: true });
    expect(r.isError).toBe(true);
  });

  it('an unresolvable target (resolveTool throws) is a labelled error, the others still run', async () => {
    const t = composite('[[composite_tools]]\nname = "fanout"\ntools = ["a/gone", "b/y"]');
    const io = fakeIO({ 'b/y': {} });
    const r = resultOf(await t.call({}, io));
    expect(texts(r)[0]).toBe('[a/gone] error');
    expect(texts(r)[1]).toContain('Unknown tool: a/gone');
    expect(io.calls.map((c) => c.name)).toEqual(['b/y']);
    expect(r.isError).toBe(true);
  });

  it("a backend's JSON-RPC error is relayed with the backend's code and message", async () => {
    const t = composite('[[composite_tools]]\nname = "fanout"\ntools = ["a/x"]');
    const io = fakeIO({ 'a/x': { error: { code: -32099, message: 'backend says no' } } });
    const r = resultOf(await t.call({}, io));
    expect(texts(r)).toEqual(['[a/x] error', 'Error -32099: backend says no']);
    expect(r.structuredContent.results[0]!.error).toEqual({ code: -32099, message: 'backend says no' });
  });

  it('timeout_seconds is passed to every target as timeoutMs', async () => {
    const t = composite('[[composite_tools]]\nname = "fanout"\ntools = ["a/x", "b/y"]\ntimeout_seconds = 1.5');
    const io = fakeIO({ 'a/x': {}, 'b/y': {} });
    await t.call({}, io);
    expect(io.calls.map((c) => c.timeoutMs)).toEqual([1500, 1500]);

    const untimed = composite('[[composite_tools]]\nname = "fanout"\ntools = ["a/x"]');
    const io2 = fakeIO({ 'a/x': {} });
    await untimed.call({}, io2);
    expect(io2.calls[0]!.timeoutMs).toBeUndefined();
  });
});
