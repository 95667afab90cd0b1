/**
 * Starts the real mcp-relay binary (dist/cli.js, built by `pretest`) on port 0
 * with a config written to a temp file, and waits for its "listening on" line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = join(ROOT, 'dist/cli.js');
export const DEMO_STDIO = join(ROOT, 'dist/demo/stdio.js');
export const EVERYTHING = join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

export interface ProxyHandle {
  url: string;
  base: string;
  pid: number;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<number | null>;
}

export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mcp-relay-test-'));
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** A TOML `command`/`args` pair that runs @modelcontextprotocol/server-everything over stdio. */
export function everythingStdio(): string {
  return `command = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([EVERYTHING, 'stdio'])}`;
}

/** A TOML `command`/`args` pair that runs the bundled demo stdio server. */
export function demoStdio(...args: string[]): string {
  return `command = ${JSON.stringify(process.execPath)}\nargs = ${JSON.stringify([DEMO_STDIO, ...args])}`;
}

export async function startProxy(toml: string, extraArgs: string[] = [], nodeArgs: string[] = []): Promise<ProxyHandle> {
  const file = tempFile('proxy.toml', toml);
  const child = spawn(process.execPath, [...nodeArgs, CLI, '--config', file, '--port', '0', ...extraArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stdout!.resume();
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`proxy did not start within 30 s:\n${err}`)), 30_000);
    child.stderr!.on('data', (d: string) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`proxy exited with ${code} before listening:\n${err}`));
    });
  });
  // The proxy listens after waiting a bounded time for its backends; on a slow machine a
  // backend (server-everything over stdio boots slowly) may still be starting. Wait until
  // each one's first attempt has ended, ready or down, so tests see a settled proxy.
  const base = new URL(url).origin;
  await eventually(async () => {
    const h = (await getJson(`${base}/admin/health`).catch(() => undefined)) as { backends?: { status: string }[] } | undefined;
    return h?.backends?.every((b) => b.status !== 'starting' && b.status !== 'idle');
  }, 'every backend to finish starting', 60_000);
  return {
    url,
    base,
    pid: child.pid!,
    child,
    stderr: () => err,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 8_000).unref();
      }),
  };
}

export async function connect(url: string, name = 'test-client'): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

/** Polls `fn` until it returns a truthy value (no timing assertion: only a bound). */
export async function eventually<T>(fn: () => Promise<T> | T, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function getJson(url: string): Promise<any> {
  const res = await fetch(url);
  return res.json();
}

/** Peak and current RSS of a process in KiB, from /proc. */
export function rssKib(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k: string): number => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { rss: get('VmRSS'), hwm: get('VmHWM') };
}

/** Headers of a raw MCP POST. */
export const MCP_POST_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

/**
 * Opens a session by hand (initialize, then notifications/initialized) and returns the
 * headers later POSTs on it need; `headers` are sent with every request (e.g. authorization).
 */
export async function rawSession(url: string, opts: { version?: string; capabilities?: Record<string, unknown>; headers?: Record<string, string> } = {}): Promise<{ sid: string; headers: Record<string, string> }> {
  const version = opts.version ?? '2025-11-25';
  const init = await fetch(url, {
    method: 'POST',
    headers: { ...MCP_POST_HEADERS, ...opts.headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: version, capabilities: opts.capabilities ?? {}, clientInfo: { name: 'raw', version: '1' } } }),
  });
  const sid = init.headers.get('mcp-session-id');
  await init.text();
  if (!sid) throw new Error(`initialize answered HTTP ${init.status} without a session id`);
  const headers = { ...MCP_POST_HEADERS, ...opts.headers, 'mcp-session-id': sid, 'mcp-protocol-version': version };
  await (await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
  return { sid, headers };
}

/** The SSE events of a response body, as they arrive (keep-alive comments skipped). */
export async function* sseEvents(res: Response): AsyncGenerator<{ id?: string; data: string }> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const lines = buffer.slice(0, cut).split('\n');
        buffer = buffer.slice(cut + 2);
        if (lines.every((l) => l.startsWith(':'))) continue;
        const id = lines.find((l) => l.startsWith('id:'))?.slice(3).trim();
        const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
        yield { ...(id !== undefined ? { id } : {}), data };
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
