/**
 * Starting mcp-relay (the built `dist/cli.js`) from a generated TOML config, and
 * the small TOML writer the scenarios use. The relay runs with --port 0 and
 * --log-level warn; at warn it does not print its "listening on" line (that
 * is an info-level log), so readiness is also detected from the LISTEN socket
 * the process owns (see proc.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT_DIR } from './build.js';
import { killTree, spawnProc, waitReady, type Spawned } from './proc.js';

export interface TomlBackend {
  name: string;
  transport: 'http' | 'stdio';
  url?: string;
  command?: string;
  args?: string[];
  mirror_of?: string;
  mirror_percent?: number;
  aliases?: { from: string; to: string }[];
  /** Extra `key = value` lines for the backend table (policy keys). */
  extra?: string[];
}

export interface MirrorTable {
  queue_size: number;
  threads: number;
  concurrency: number;
  timeout_ms: number;
}

const q = (s: string): string => JSON.stringify(s);

export function relayToml(backends: TomlBackend[], mirror?: MirrorTable): string {
  const out = ['[proxy]', 'name = "mcp-relay-bench"', '', '[proxy.listen]', 'host = "127.0.0.1"', 'port = 0', '', '[observability]', 'log_level = "warn"', ''];
  for (const b of backends) {
    out.push('[[backends]]', `name = ${q(b.name)}`, `transport = ${q(b.transport)}`);
    if (b.url) out.push(`url = ${q(b.url)}`);
    if (b.command) out.push(`command = ${q(b.command)}`);
    if (b.args) out.push(`args = [${b.args.map(q).join(', ')}]`);
    if (b.mirror_of) out.push(`mirror_of = ${q(b.mirror_of)}`);
    if (b.mirror_percent !== undefined) out.push(`mirror_percent = ${b.mirror_percent}`);
    out.push(...(b.extra ?? []));
    for (const a of b.aliases ?? []) out.push('', '[[backends.aliases]]', `from = ${q(a.from)}`, `to = ${q(a.to)}`);
    out.push('');
  }
  if (mirror) {
    out.push('[mirror]', `queue_size = ${mirror.queue_size}`, `threads = ${mirror.threads}`, `concurrency = ${mirror.concurrency}`, `timeout_ms = ${mirror.timeout_ms}`, '');
  }
  return out.join('\n');
}

export interface RunningRelay {
  url: string;
  adminUrl: string;
  proc: Spawned;
  stop(): Promise<void>;
}

export async function startRelay(name: string, toml: string, tmpDir: string, extraArgs: string[] = [], nodeArgs: string[] = []): Promise<RunningRelay> {
  const file = join(tmpDir, `${name}.toml`);
  writeFileSync(file, toml);
  const proc = spawnProc(name, process.execPath, [...nodeArgs, join(ROOT_DIR, 'dist', 'cli.js'), '--config', file, '--port', '0', '--log-level', 'warn', ...extraArgs], { cwd: ROOT_DIR });
  try {
    const ready = await waitReady(proc, { re: /listening on (http:\/\/\S+)/, listenPort: true, timeoutMs: 20_000 });
    const url = ready.match?.[1] ?? `http://127.0.0.1:${ready.port}/mcp`;
    const origin = new URL(url).origin;
    return { url, adminUrl: `${origin}/admin`, proc, stop: () => killTree([proc.pid]) };
  } catch (err) {
    await killTree([proc.pid]);
    throw err;
  }
}
