/**
 * Mirroring end to end, through the real proxy process and its piscina pool:
 * exact sampling, name rewriting, hidden mirror backends, read-only mode, the
 * shadow diff, and canaries that are down, hang, are slow or crash mid-stream.
 * No timed assertions: only counts, results and bounds.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startDemoHttpServer, type DemoHttpServer } from '../../src/demo/http.js';
import { connect, eventually, getJson, startProxy, type ProxyHandle } from '../helpers/proxy.js';
import { startBadCanary, type Misbehaviour } from '../helpers/bad-canary.js';
import { freePort } from '../helpers/everything.js';

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
});
afterAll(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
});

async function demo(opts: Parameters<typeof startDemoHttpServer>[0] = {}): Promise<DemoHttpServer> {
  const d = await startDemoHttpServer(opts);
  cleanup.push(() => d.close());
  return d;
}

async function proxyWith(toml: string, nodeArgs: string[] = []): Promise<{ proxy: ProxyHandle; client: Client }> {
  const proxy = await startProxy(toml, [], nodeArgs);
  cleanup.push(() => proxy.stop());
  const client = await connect(proxy.url);
  cleanup.push(() => client.close());
  return { proxy, client };
}

/** A primary `api` plus mirror backends of it; `mirrorTable` is the [mirror] table body. */
function mirrorConfig(primaryUrl: string, mirrors: { name: string; url: string; keys?: string }[], mirrorTable = ''): string {
  const head = mirrorTable ? `[mirror]\n${mirrorTable}\n` : '';
  const canaries = mirrors.map((m) => `[[backends]]\nname = "${m.name}"\ntransport = "http"\nurl = "${m.url}"\nmirror_of = "api"\n${m.keys ?? ''}\n`).join('\n');
  return `${head}[[backends]]\nname = "api"\ntransport = "http"\nurl = "${primaryUrl}"\n\n${canaries}`;
}

async function mirrorReport(proxy: ProxyHandle): Promise<any> {
  return getJson(`${proxy.base}/admin/mirror`);
}

type Counters = Record<'eligible' | 'sampled' | 'enqueued' | 'dropped_queue_full' | 'dropped_canary_down' | 'sent' | 'succeeded' | 'failed' | 'timed_out' | 'same' | 'content_differs' | 'canary_timeout' | 'both_error', number>;

/**
 * Waits until every enqueued copy has an outcome (shared counters, written by the pool
 * thread) and its summary has reached the main thread's stats (latency, per-tool, samples).
 */
async function settled(proxy: ProxyHandle, mirror: string): Promise<Counters> {
  return (await eventually<Counters | undefined>(async () => {
    const r = await mirrorReport(proxy);
    const m = r.mirrors.find((x: { mirror: string }) => x.mirror === mirror);
    const c = m.counters;
    const done = r.queue.in_flight === 0 && r.queue.depth === 0 && c.succeeded + c.failed + c.timed_out === c.enqueued && m.latency.canary.count === c.enqueued;
    return done ? (c as Counters) : undefined;
  }, `mirror ${mirror} to settle`, 20_000))!;
}

describe('sampling', () => {
  it('mirrors exactly 10 % and 3 % of 1,000 eligible calls, evenly spread, with rewritten names and identical arguments', async () => {
    const primary = await demo({ name: 'api' });
    const v2 = await demo({ name: 'api', variant: 'v2' });
    const v3 = await demo({ name: 'api', variant: 'v3' });
    const { proxy, client } = await proxyWith(mirrorConfig(primary.url, [{ name: 'api-v2', url: v2.url, keys: 'mirror_percent = 10' }, { name: 'api-v3', url: v3.url, keys: 'mirror_percent = 3' }]));
    for (let i = 0; i < 20; i++) await client.listTools();
    for (let i = 0; i < 1000; i++) {
      const r = await client.callTool({ name: 'api/add', arguments: { a: i, b: 1 } });
      expect(r.structuredContent).toEqual({ sum: i + 1 });
    }
    const c2 = await settled(proxy, 'api-v2');
    const c3 = await settled(proxy, 'api-v3');
    expect(c2).toMatchObject({ eligible: 1000, sampled: 100, enqueued: 100, dropped_queue_full: 0, succeeded: 100 });
    expect(c3).toMatchObject({ eligible: 1000, sampled: 30, enqueued: 30, succeeded: 30 });
    // the canaries saw the backend-local name and the client's exact arguments
    expect(v2.stats.calls['tool:add']).toBe(100);
    expect(v3.stats.calls['tool:add']).toBe(30);
    expect(primary.stats.calls['tool:add']).toBe(1000);
    // evenly spread: 10 % mirrors calls 9, 19, 29, … (never the first 10 of each 100)
    // (the canary keeps the arguments of its last 50 calls; copies may arrive slightly out of order)
    const seen = (v2.stats.args['tool:add'] as { a: number; b: number }[]).map((x) => x.a);
    expect(seen).toHaveLength(50);
    expect(seen.every((a) => a % 10 === 9)).toBe(true);
    expect(new Set(seen).size).toBe(50);
    expect((v2.stats.args['tool:add'] as { b: number }[]).every((x) => x.b === 1)).toBe(true);
  }, 120_000);

  it('hides mirror backends from lists and direct calls, and never mirrors lists', async () => {
    const primary = await demo({ name: 'api' });
    const canary = await demo({ name: 'api', variant: 'canary' });
    const { proxy, client } = await proxyWith(mirrorConfig(primary.url, [{ name: 'canary', url: canary.url }]));
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names.some((n) => n.startsWith('canary/'))).toBe(false);
    const e = await client.callTool({ name: 'canary/add', arguments: { a: 1, b: 1 } }).catch((err: { data: { code: string } }) => err);
    expect((e as { data: { code: string } }).data.code).toBe('UNKNOWN_TOOL');
    await client.listPrompts();
    await client.listResources();
    const r = await mirrorReport(proxy);
    expect(r.mirrors[0].counters.eligible).toBe(0);
    expect(canary.stats.calls).toEqual({});
  });
});

describe('safety', () => {
  it('mirror_read_only skips tools without readOnlyHint; mirror_tools allow-lists by name', async () => {
    const primary = await demo({ name: 'api' });
    const ro = await demo({ name: 'api', variant: 'ro' });
    const only = await demo({ name: 'api', variant: 'only' });
    const { proxy, client } = await proxyWith(mirrorConfig(primary.url, [{ name: 'ro', url: ro.url, keys: 'mirror_read_only = true' }, { name: 'only', url: only.url, keys: 'mirror_tools = ["echo"]' }]));
    for (let i = 0; i < 5; i++) {
      await client.callTool({ name: 'api/write_note', arguments: { text: `n${i}` } });
      await client.callTool({ name: 'api/add', arguments: { a: i, b: i } });
      await client.callTool({ name: 'api/echo', arguments: { message: `m${i}` } });
    }
    await settled(proxy, 'ro');
    await settled(proxy, 'only');
    expect(ro.stats.calls['tool:write_note']).toBeUndefined();
    expect(ro.stats.calls['tool:add']).toBe(5);
    expect(only.stats.calls).toEqual({ 'tool:echo': 5 });
    expect(primary.stats.calls['tool:write_note']).toBe(5);
  });
});

describe('shadow diff', () => {
  it('classifies differing answers, keeps samples, and ignores volatile fields by JSON path', async () => {
    const primary = await demo({ name: 'api' });
    const canary = await demo({ name: 'api', wrongAdd: true, delayMs: 5 });
    const { proxy, client } = await proxyWith(mirrorConfig(primary.url, [{ name: 'canary', url: canary.url }], 'ignore_paths = ["$.structuredContent.at"]'));
    for (let i = 0; i < 4; i++) await client.callTool({ name: 'api/add', arguments: { a: i, b: 10 } });
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'api/time', arguments: {} });
    await client.callTool({ name: 'api/fail', arguments: {} }).catch(() => undefined);
    const counters = await settled(proxy, 'canary');
    expect(counters).toMatchObject({ content_differs: 4, same: 0 + 3, both_error: 1 });
    const r = await mirrorReport(proxy);
    expect(r.mirrors[0].per_tool['api/add']).toMatchObject({ content_differs: 4 });
    expect(r.mirrors[0].per_tool['api/time']).toMatchObject({ same: 3 });
    expect(r.mirrors[0].latency.canary.count).toBe(8);
    // copies complete in any order (the pool sends them concurrently): check every add sample
    const adds = r.samples.filter((x: { tool: string }) => x.tool === 'api/add') as { diff: string; request: string; primary: string; canary: string }[];
    expect(adds).toHaveLength(4);
    const sums = adds.map((x) => {
      expect(x.diff).toBe('content_differs');
      expect(x.request).toContain('"name":"add"');
      const p = Number(/"sum":(\d+)/.exec(x.primary)![1]);
      const c = Number(/"sum":(\d+)/.exec(x.canary)![1]);
      expect(c).toBe(p + 1);
      return p;
    });
    expect(sums.sort()).toEqual([10, 11, 12, 13]);
    const metrics = await (await fetch(`${proxy.base}/admin/metrics`)).text();
    expect(metrics).toContain('mcp_relay_mirror_diff_total{mirror="canary",tool="api/add",class="content_differs"} 4');
  });

  it('without the ignore path, a timestamp makes answers differ', async () => {
    const primary = await demo({ name: 'api' });
    const canary = await demo({ name: 'api', delayMs: 5 });
    const { proxy, client } = await proxyWith(mirrorConfig(primary.url, [{ name: 'canary', url: canary.url }]));
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'api/time', arguments: {} });
    expect(await settled(proxy, 'canary')).toMatchObject({ content_differs: 3 });
  });
});

describe('a canary that misbehaves never touches the primary', () => {
  const cases: { label: string; mode: Misbehaviour | 'down'; outcome: 'failed' | 'timed_out' | 'succeeded' }[] = [
    { label: 'down (connection refused)', mode: 'down', outcome: 'failed' },
    { label: 'hanging forever', mode: 'hang', outcome: 'timed_out' },
    { label: 'answering after 1 s', mode: 'slow', outcome: 'succeeded' },
    { label: 'crashing mid-stream', mode: 'crash', outcome: 'failed' },
  ];
  it.each(cases)('canary $label: every primary call succeeds; the queue stays within its bound; outcomes are counted', async ({ mode, outcome }) => {
    const primary = await demo({ name: 'api' });
    let url: string;
    if (mode === 'down') url = `http://127.0.0.1:${await freePort()}/mcp`;
    else {
      const bad = await startBadCanary(mode, 1_000);
      cleanup.push(() => bad.close());
      url = bad.url;
    }
    const { proxy, client } = await proxyWith(mirrorConfig(primary.url, [{ name: 'canary', url }], `queue_size = 16\nconcurrency = 4\ntimeout_ms = ${mode === 'hang' ? 300 : 10_000}`));
    // the pool thread connects to the canary when it starts and reports it down
    if (mode === 'down') await eventually(async () => (await mirrorReport(proxy)).mirrors[0].canary_up === false, 'the canary to be reported down', 20_000);
    let maxDepth = 0;
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(Array.from({ length: 10 }, (_, k) => client.callTool({ name: 'api/add', arguments: { a: round, b: k } })));
      results.forEach((r, k) => expect(r.structuredContent).toEqual({ sum: round + k }));
      const report = await mirrorReport(proxy);
      maxDepth = Math.max(maxDepth, report.queue.depth);
      expect(report.queue.depth).toBeLessThanOrEqual(16);
    }
    const c = await settled(proxy, 'canary');
    expect(c.eligible).toBe(200);
    expect(c.sampled).toBe(200);
    expect(c.enqueued + c.dropped_queue_full + c.dropped_canary_down).toBe(200);
    expect(c[outcome]).toBe(c.enqueued);
    if (mode === 'down') {
      // while the pool thread knows the canary is down, copies are not posted to it
      expect(c.dropped_canary_down).toBe(200);
      expect((await mirrorReport(proxy)).mirrors[0].canary_up).toBe(false);
    } else expect(c[outcome]).toBeGreaterThan(0);
    expect(maxDepth).toBeLessThanOrEqual(16);
    if (mode === 'hang') expect(c.canary_timeout).toBe(c.enqueued);
    // the primary saw every call exactly once
    expect(primary.stats.calls['tool:add']).toBe(200);
  });

  it('a canary that was down is used again once it comes up, with no restart of the proxy', async () => {
    const primary = await demo({ name: 'api' });
    const port = await freePort();
    const { proxy, client } = await proxyWith(mirrorConfig(primary.url, [{ name: 'canary', url: `http://127.0.0.1:${port}/mcp` }], 'timeout_ms = 300'));
    // The pool thread connects when it starts, finds nothing listening, and reports it.
    await eventually(async () => (await mirrorReport(proxy)).mirrors[0].canary_up === false, 'the canary to be reported down', 20_000);
    for (let i = 0; i < 20; i++) await client.callTool({ name: 'api/add', arguments: { a: i, b: 1 } });
    const down = await settled(proxy, 'canary');
    // its supervisor keeps retrying with backoff; until one succeeds, copies are dropped
    expect(down.dropped_canary_down).toBe(20);
    expect(down.enqueued).toBe(0);
    expect(down.succeeded).toBe(0);
    await demo({ name: 'api', port });
    await eventually(async () => (await mirrorReport(proxy)).mirrors[0].canary_up === true || undefined, 'canary to reconnect', 45_000);
    for (let i = 0; i < 5; i++) await client.callTool({ name: 'api/add', arguments: { a: i, b: 2 } });
    const up = await settled(proxy, 'canary');
    expect(up.succeeded).toBe(5);
    expect(up.same).toBe(5);
    expect(up.dropped_canary_down).toBe(down.dropped_canary_down);
  }, 90_000);

  it('memory stays bounded under a burst to a hanging canary: the queue drops instead of growing', async () => {
    const primary = await demo({ name: 'api' });
    const bad = await startBadCanary('hang');
    cleanup.push(() => bad.close());
    // A 96 MiB old-space limit: retaining the ~4,000 dropped copies below (20 KB of
    // arguments plus a 20 KB primary result each, ≈ 160 MB) would crash the proxy.
    const { proxy, client } = await proxyWith(mirrorConfig(primary.url, [{ name: 'canary', url: bad.url }], 'queue_size = 64\nconcurrency = 8\ntimeout_ms = 600000'), ['--max-old-space-size=96']);
    const big = 'x'.repeat(20_000);
    let maxDepth = 0;
    let maxInFlight = 0;
    for (let i = 0; i < 4_000; i += 20) {
      const results = await Promise.all(Array.from({ length: 20 }, (_, k) => client.callTool({ name: 'api/echo', arguments: { message: big + (i + k) } })));
      results.forEach((r, k) => expect((r.content as { text: string }[])[0]!.text.endsWith(String(i + k))).toBe(true));
      if (i % 400 === 0) {
        const q = (await mirrorReport(proxy)).queue;
        maxDepth = Math.max(maxDepth, q.depth);
        maxInFlight = Math.max(maxInFlight, q.in_flight);
      }
    }
    const r = await mirrorReport(proxy);
    const c = r.mirrors[0].counters;
    expect(maxDepth).toBeLessThanOrEqual(64);
    expect(maxInFlight).toBeLessThanOrEqual(8);
    expect(c.sampled).toBe(4_000);
    expect(c.dropped_queue_full).toBeGreaterThanOrEqual(4_000 - 64 - 8);
    expect(c.enqueued).toBeLessThanOrEqual(64 + 8);
    expect(proxy.child.exitCode).toBeNull();
    expect((await fetch(`${proxy.base}/admin/health`)).status).toBe(200);
  }, 120_000);
});
