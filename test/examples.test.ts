import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigFile } from '../src/config/load.js';
import { configWarnings } from '../src/config/validate.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const examplesDir = join(root, 'examples');
const cli = join(root, 'dist', 'cli.js');
const files = readdirSync(examplesDir).filter((f) => f.endsWith('.toml')).sort();

/** Variables the examples need; ${VAR:-default} ones are left unset so the defaults are used. */
const NEEDS: Record<string, Record<string, string>> = {
  'gateway.toml': { GITHUB_TOKEN: 'ghp_example_token' },
  'team-server.toml': { MCP_RELAY_TEAM_TOKEN: 'team-token-0123456789abcdef', MCP_RELAY_CI_TOKEN: 'ci-token-0123456789abcdef', MCP_RELAY_ADMIN_TOKEN: 'admin-token-0123456789abcdef' },
};
/** Every variable any example reads, removed from the inherited environment for determinism. */
const READS = ['GITHUB_TOKEN', 'MCP_RELAY_HOST', 'FILES_ROOT', 'MEMORY_FILE_PATH', 'EVERYTHING_URL', 'SEARCH_URL', 'SEARCH_NEXT_URL', 'MCP_RELAY_ADMIN_TOKEN', 'MCP_RELAY_TEAM_TOKEN', 'MCP_RELAY_CI_TOKEN'];

function envFor(file: string, extra: Record<string, string> = NEEDS[file] ?? {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: '/home/example' };
  for (const k of READS) delete env[k];
  return { ...env, ...extra };
}

function check(file: string, env: NodeJS.ProcessEnv): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, '--check', '--config', join(examplesDir, file)], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('examples/*.toml', () => {
  it('has the three documented examples', () => {
    expect(files).toEqual(expect.arrayContaining(['gateway.toml', 'mirror.toml', 'stdio-desktop.toml']));
  });

  it.each(files)('%s loads with loadConfigFile', (file) => {
    const cfg = loadConfigFile(join(examplesDir, file), { env: envFor(file) });
    expect(cfg.backends.length).toBeGreaterThan(0);
    // Examples should be clean: no "/" in tool names, no exposed unauthenticated admin API.
    expect(configWarnings(cfg)).toEqual([]);
  });

  it.each(files)('%s passes `mcp-relay --check`', (file) => {
    if (!existsSync(cli)) throw new Error('dist/cli.js is missing: run `npm run build` (npm test does it in pretest)');
    const r = check(file, envFor(file));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${file}: OK`);
  });

  it.each(files)('%s has a comment for every key', (file) => {
    const lines = readFileSync(join(examplesDir, file), 'utf8').split('\n');
    const isKey = (l: string): boolean => /^[A-Za-z_][\w-]*\s*=/.test(l);
    const isContinuation = (l: string): boolean => /^(\s+\S|\])/.test(l);
    const uncommented: string[] = [];
    lines.forEach((line, i) => {
      if (!isKey(line) || line.includes(' # ')) return;
      // Walk back over the keys (and multi-line values) of this group; a comment must
      // come first, either right above the group or right above its table header.
      let j = i - 1;
      while (j >= 0 && (isKey(lines[j]!) || isContinuation(lines[j]!))) j--;
      if (j >= 0 && lines[j]!.startsWith('[')) j--;
      if (j < 0 || !lines[j]!.startsWith('#')) uncommented.push(`${file}:${i + 1}: ${line}`);
    });
    expect(uncommented).toEqual([]);
  });

  it('gateway.toml: the env defaults apply and ${GITHUB_TOKEN} is required', () => {
    const cfg = loadConfigFile(join(examplesDir, 'gateway.toml'), { env: envFor('gateway.toml') });
    const byName = new Map(cfg.backends.map((b) => [b.name, b]));
    expect(cfg.proxy.listen.host).toBe('127.0.0.1');
    expect(byName.get('files')!.args).toEqual(['-y', '@modelcontextprotocol/server-filesystem', '/tmp']);
    expect(byName.get('files')!.aliases.length).toBeGreaterThan(0);
    expect(byName.get('files')!.timeout?.seconds).toBeGreaterThan(0);
    expect(byName.get('memory')!.env.MEMORY_FILE_PATH).toBe('/tmp/mcp-relay-memory.jsonl');
    expect(byName.get('github')!.bearer_token).toBe('ghp_example_token');
    expect(byName.get('demo')!.url).toBe('http://127.0.0.1:3001/mcp');
    expect(new Set(cfg.backends.map((b) => b.transport))).toEqual(new Set(['stdio', 'http']));

    const withEnv = loadConfigFile(join(examplesDir, 'gateway.toml'), {
      env: envFor('gateway.toml', { GITHUB_TOKEN: 't', FILES_ROOT: '/srv/share', EVERYTHING_URL: 'http://10.0.0.5:3001/mcp' }),
    });
    expect(withEnv.backends.find((b) => b.name === 'files')!.args[2]).toBe('/srv/share');
    expect(withEnv.backends.find((b) => b.name === 'demo')!.url).toBe('http://10.0.0.5:3001/mcp');

    const r = check('gateway.toml', envFor('gateway.toml', {}));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('GITHUB_TOKEN is not set');
    expect(r.stderr).toContain('bearer_token');
  });

  it('mirror.toml: a read-only percent mirror with ignore paths and a [mirror] table', () => {
    const cfg = loadConfigFile(join(examplesDir, 'mirror.toml'), { env: envFor('mirror.toml') });
    const mirrors = cfg.backends.filter((b) => b.mirror_of !== undefined);
    expect(mirrors).toHaveLength(1);
    expect(mirrors[0]).toMatchObject({ mirror_read_only: true });
    expect(mirrors[0]!.mirror_percent).toBeGreaterThan(0);
    expect(mirrors[0]!.mirror_percent).toBeLessThan(100);
    expect(cfg.mirror.ignore_paths.length).toBeGreaterThan(0);
    const text = readFileSync(join(examplesDir, 'mirror.toml'), 'utf8');
    expect(text).toMatch(/^\[mirror\]$/m);
  });

  it('team-server.toml: listens beyond loopback only with client tokens and an admin token, all from the environment', () => {
    const cfg = loadConfigFile(join(examplesDir, 'team-server.toml'), { env: envFor('team-server.toml') });
    expect(cfg.proxy.listen.host).toBe('0.0.0.0');
    expect(cfg.auth?.tokens).toEqual(['team-token-0123456789abcdef']);
    expect(cfg.auth?.scoped_tokens[0]).toMatchObject({ token: 'ci-token-0123456789abcdef' });
    expect(cfg.security.admin_token).toBe('admin-token-0123456789abcdef');
    expect(configWarnings(cfg)).toEqual([]);
    const r = check('team-server.toml', envFor('team-server.toml', { MCP_RELAY_CI_TOKEN: 'x', MCP_RELAY_ADMIN_TOKEN: 'y' }));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('MCP_RELAY_TEAM_TOKEN is not set');
  });

  it('stdio-desktop.toml: only stdio backends and a client-safe separator', () => {
    const cfg = loadConfigFile(join(examplesDir, 'stdio-desktop.toml'), { env: envFor('stdio-desktop.toml') });
    expect(cfg.backends.every((b) => b.transport === 'stdio')).toBe(true);
    expect(cfg.proxy.separator).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});
