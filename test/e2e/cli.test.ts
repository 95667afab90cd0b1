/**
 * The command line as a user runs it: --help, --check, config errors naming
 * the key, the stdio front end driven by the SDK's stdio client, a dead
 * backend at startup, and the admin surface's access rules.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, connect, demoStdio, startProxy, tempFile, type ProxyHandle } from '../helpers/proxy.js';
import { freePort } from '../helpers/everything.js';

function run(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const started: ProxyHandle[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
});

describe('mcp-relay CLI', () => {
  it('--help documents every flag', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    for (const flag of ['--config', '--check', '--stdio', '--host', '--port', '--log-level', '--json-logs', '--mirror-queue-size', '--mirror-threads', '--mirror-concurrency', '--mirror-timeout-ms', '--version']) {
      expect(r.out).toContain(flag);
    }
  });

  it('--check validates and summarises without starting anything', () => {
    const file = tempFile('ok.toml', `[[backends]]\nname = "a"\ntransport = "http"\nurl = "http://127.0.0.1:1/mcp"\n[[backends.aliases]]\nfrom = "x"\nto = "y"\n`);
    const r = run('--check', '--config', file);
    expect(r.code).toBe(0);
    expect(r.out).toContain('OK');
    expect(r.out).toContain('backend a (http): 1 alias(es)');
    expect(r.out).toMatch(/warning: .*separator/);
  });

  it('a bad key exits 2 naming the file, the key and the table', () => {
    const file = tempFile('bad.toml', `[[backends]]\nname = "a"\ntransport = "stdio"\ncomand = "x"\n`);
    const r = run('--check', '--config', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain(file);
    expect(r.err).toContain('`comand`');
    expect(r.err).toContain('[[backends]] #1 (name = "a")');
  });

  it('a key mcp-relay does not implement yet is an error that says so', () => {
    const file = tempFile('later.toml', `[[backends]]\nname = "a"\ntransport = "http"\nurl = "http://127.0.0.1:1/mcp"\n[backends.circuit_breaker]\nminimum_calls = 5\n`);
    const r = run('--check', '--config', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain('`circuit_breaker`');
    expect(r.err).toContain('does not implement it yet');
  });

  it('an unknown flag exits 2', () => {
    expect(run('--frobnicate').code).toBe(2);
  });
});

describe('stdio front end', () => {
  it('serves MCP over stdin/stdout to the SDK stdio client', async () => {
    const file = tempFile('stdio.toml', `[[backends]]\nname = "d"\ntransport = "stdio"\n${demoStdio('--name', 'd')}\n`);
    const client = new Client({ name: 'desktop', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--stdio', '--config', file, '--log-level', 'warn'], stderr: 'ignore' }));
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('d/add');
    const r = await client.callTool({ name: 'd/add', arguments: { a: 3, b: 4 } });
    expect(r.structuredContent).toEqual({ sum: 7 });
    await client.close();
  });

  it('writes progress notifications before the result, in order (checked on the wire)', async () => {
    // On the wire, not through the SDK client: its stdio transport runs notification
    // handlers on a microtask but responses synchronously, so a progress line read in
    // the same chunk as the result loses its handler on the client side.
    const file = tempFile('stdio.toml', `[[backends]]\nname = "d"\ntransport = "stdio"\n${demoStdio('--name', 'd')}\n`);
    const child = spawn(process.execPath, [CLI, '--stdio', '--config', file, '--log-level', 'warn'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const lines: Record<string, any>[] = [];
    // resolves at the call's result; fails if the proxy exits first (the test timeout bounds the wait)
    const answered = new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (l) => {
        lines.push(JSON.parse(l));
        if (lines.at(-1)!.id === 'call-1') resolve();
      });
      child.on('exit', (code) => reject(new Error(`mcp-relay --stdio exited (${code}) before answering`)));
    });
    const send = (m: unknown): boolean => child.stdin!.write(JSON.stringify(m) + '\n');
    send({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'wire', version: '1' } } });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 'call-1', method: 'tools/call', params: { name: 'd/slow', arguments: { ms: 30, steps: 3 }, _meta: { progressToken: 'tok' } } });
    await answered.finally(() => child.kill());
    const after = lines.slice(1);
    expect(after.map((l) => l.method ?? `result:${l.id}`)).toEqual(['notifications/progress', 'notifications/progress', 'notifications/progress', 'result:call-1']);
    expect(after.slice(0, 3).map((l) => [l.params.progressToken, l.params.progress])).toEqual([['tok', 1], ['tok', 2], ['tok', 3]]);
    expect(after[3]!.result.content).toEqual([{ type: 'text', text: 'done' }]);
  });
});

describe('a dead backend', () => {
  it('does not take the others down: health is degraded, calls to it fail clearly', async () => {
    const dead = await freePort();
    const proxy = await startProxy(`
[[backends]]
name = "ok"
transport = "stdio"
${demoStdio('--name', 'ok')}

[[backends]]
name = "gone"
transport = "http"
url = "http://127.0.0.1:${dead}/mcp"
`);
    started.push(proxy);
    const health = await fetch(`${proxy.base}/admin/health`);
    expect(health.status).toBe(200);
    const body = (await health.json()) as { status: string; backends: { name: string; status: string }[] };
    expect(body.status).toBe('degraded');
    expect(body.backends.find((b) => b.name === 'gone')!.status).not.toBe('ready');
    const c = await connect(proxy.url);
    expect((await c.callTool({ name: 'ok/add', arguments: { a: 1, b: 1 } })).structuredContent).toEqual({ sum: 2 });
    const e = await c.callTool({ name: 'gone/anything', arguments: {} }).catch((err: { data: unknown }) => err);
    expect((e as { data: { code: string } }).data.code).toBe('BACKEND_UNAVAILABLE');
    await c.close();
  });
});

describe('admin access', () => {
  it('with security.admin_token, /admin/* needs the token except /admin/health', async () => {
    const proxy = await startProxy(`
[security]
admin_token = "\${TEST_ADMIN_TOKEN:-s3cret-token}"

[[backends]]
name = "ok"
transport = "stdio"
${demoStdio('--name', 'ok')}
`);
    started.push(proxy);
    expect((await fetch(`${proxy.base}/admin/health`)).status).toBe(200);
    expect((await fetch(`${proxy.base}/admin/backends`)).status).toBe(401);
    expect((await fetch(`${proxy.base}/admin/backends`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await fetch(`${proxy.base}/admin/backends`, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(ok.status).toBe(200);
    const text = await ok.text();
    expect(text).not.toContain('s3cret-token');
    expect(text).not.toContain('demo/stdio.js');
    const metrics = await fetch(`${proxy.base}/admin/metrics`, { headers: { authorization: 'Bearer s3cret-token' } });
    expect(await metrics.text()).toContain('mcp_relay_backend_up{backend="ok",transport="stdio"} 1');
    expect((await fetch(`${proxy.base}/admin/backends`, { method: 'POST', headers: { authorization: 'Bearer s3cret-token' } })).status).toBe(405);
  });
});
