import { describe, it, expect } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configWarnings } from '../../src/config/validate.js';
import { DEFAULTS } from '../../src/config/defaults.js';
import { ConfigError } from '../../src/errors.js';
import type { RelayConfig } from '../../src/config/schema.js';

const STDIO = `[[backends]]\nname = "files"\ntransport = "stdio"\ncommand = "npx"\n`;
const HTTP = `[[backends]]\nname = "web"\ntransport = "http"\nurl = "http://127.0.0.1:3001/mcp"\n`;

function load(text: string, env: Record<string, string> = {}): RelayConfig {
  return parseConfig(text, 'test.toml', { env });
}

/** The ConfigError message for `text`; fails the test when it loads. */
function errorOf(text: string, env: Record<string, string> = {}): string {
  try {
    load(text, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg.startsWith('test.toml: ')).toBe(true);
    return msg;
  }
  throw new Error(`expected a ConfigError for:\n${text}`);
}

describe('config: defaults', () => {
  it('fills every default from DEFAULTS', () => {
    const cfg = load(STDIO);
    expect(cfg.proxy.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(cfg.proxy.separator).toBe('/');
    expect(cfg.proxy.name).toBe('mcp-relay');
    expect(cfg.proxy.version).toBe(DEFAULTS.proxyVersion);
    expect(cfg.proxy.shutdown_timeout_seconds).toBe(DEFAULTS.shutdownTimeoutSeconds);
    expect(cfg.proxy.instructions).toBeUndefined();
    expect(cfg.proxy.http).toEqual({
      path: '/mcp',
      max_body_bytes: 4 * 1024 * 1024,
      max_sessions: DEFAULTS.maxSessions,
      session_idle_seconds: DEFAULTS.sessionIdleSeconds,
      max_batch: DEFAULTS.maxBatch,
      allowed_origins: [],
    });
    expect(cfg.mirror).toEqual({
      queue_size: 1024,
      threads: 1,
      concurrency: 32,
      timeout_ms: 5000,
      max_result_bytes: 256 * 1024,
      sample_size: 50,
      ignore_paths: [],
    });
    expect(cfg.security).toEqual({});
    expect(cfg.observability).toEqual({ log_level: 'info', json_logs: false });
    const b = cfg.backends[0]!;
    expect(b).toMatchObject({ name: 'files', transport: 'stdio', command: 'npx', args: [], env: {}, aliases: [], mirror_read_only: false });
    expect(b.max_message_bytes).toBe(DEFAULTS.maxMessageBytes);
    expect(b.timeout).toBeUndefined();
    expect(b.mirror_of).toBeUndefined();
  });

  it('keeps defaults for keys a partial table leaves out', () => {
    const cfg = load(`[proxy.listen]\nport = 9000\n[mirror]\nthreads = 2\n` + STDIO);
    expect(cfg.proxy.listen).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(cfg.mirror.threads).toBe(2);
    expect(cfg.mirror.queue_size).toBe(DEFAULTS.mirror.queueSize);
  });

  it('loads a full config with both transports', () => {
    const cfg = load(`
[proxy]
name = "gw"
separator = "__"
[proxy.listen]
host = "0.0.0.0"
port = 0
[security]
admin_token = "t"

[[backends]]
name = "files"
transport = "stdio"
command = "npx"
args = ["-y", "@modelcontextprotocol/server-filesystem", "/tmp"]
cwd = "/tmp"
[backends.env]
A = "1"
[backends.timeout]
seconds = 2.5
[[backends.aliases]]
from = "read_text_file"
to = "read"

[[backends]]
name = "web"
transport = "http"
url = "https://example.com/mcp"
bearer_token = "x"

[[backends]]
name = "web-canary"
transport = "http"
url = "https://canary.example.com/mcp"
mirror_of = "web"
mirror_percent = 5
mirror_read_only = true
mirror_tools = ["search"]
`);
    expect(cfg.proxy.separator).toBe('__');
    expect(cfg.backends.map((b) => b.name)).toEqual(['files', 'web', 'web-canary']);
    expect(cfg.backends[0]!.timeout).toEqual({ seconds: 2.5 });
    expect(cfg.backends[0]!.env).toEqual({ A: '1' });
    expect(cfg.backends[2]).toMatchObject({ mirror_of: 'web', mirror_percent: 5, mirror_read_only: true, mirror_tools: ['search'] });
  });
});

describe('config: invalid TOML', () => {
  it('reports line and column', () => {
    const msg = errorOf(STDIO + `[proxy]\nname = \n`);
    expect(msg).toMatch(/invalid TOML \(line 6, column \d+\)/);
  });
  it('reports a duplicate table', () => {
    expect(errorOf(`[proxy]\n[proxy]\n` + STDIO)).toMatch(/invalid TOML \(line 2, column \d+\)/);
  });
});

describe('config: unknown keys (strict schema)', () => {
  it('names a typo in [[backends]] and the backend', () => {
    const msg = errorOf(`[[backends]]\nname = "files"\ntransport = "stdio"\ncomand = "npx"\n`);
    expect(msg).toContain('unknown key `comand`');
    expect(msg).toContain('[[backends]] #1 (name = "files")');
  });
  it('names the second backend by number and name', () => {
    const msg = errorOf(STDIO + `[[backends]]\nname = "web"\ntransport = "http"\nurl = "http://x/mcp"\nurll = "y"\n`);
    expect(msg).toContain('unknown key `urll`');
    expect(msg).toContain('[[backends]] #2 (name = "web")');
  });
  it('names an unknown top-level table', () => {
    const msg = errorOf(`[proxyy]\nname = "x"\n` + STDIO);
    expect(msg).toContain('unknown key `proxyy`');
    expect(msg).toContain('the top level');
  });
  // Each row: a typo inside a nested table; the message must name that table.
  it.each([
    ['[proxy]', `[proxy]\nnmae = "x"\n` + STDIO, 'nmae'],
    ['[proxy.listen]', `[proxy.listen]\nhots = "0.0.0.0"\n` + STDIO, 'hots'],
    ['[proxy.http]', `[proxy.http]\npth = "/x"\n` + STDIO, 'pth'],
    ['[mirror]', `[mirror]\nqueue = 5\n` + STDIO, 'queue'],
  ])('names the table %s for an unknown key in it', (table, text, key) => {
    const msg = errorOf(text);
    expect(msg).toContain(`unknown key \`${key}\``);
    expect(msg).toContain(table);
  });
  // Same for sub-tables of a backend: the line must name the backend and the sub-table.
  it.each([
    ['timeout', STDIO + `[backends.timeout]\nseconds = 3\nsecs = 3\n`, 'secs'],
    ['aliases', STDIO + `[[backends.aliases]]\nfrom = "a"\nto = "b"\ntoo = "c"\n`, 'too'],
  ])('names the backend and its sub-table %s for an unknown key in it', (table, text, key) => {
    const line = errorOf(text).split('\n').find((l) => l.includes(`\`${key}\``));
    expect(line).toBeDefined();
    expect(line).toContain('[[backends]] #1 (name = "files")');
    expect(line).toContain(table);
  });
});

describe('config: keys of the mcp-proxy format that are not implemented', () => {
  it.each([
    ['retry', STDIO + `[backends.retry]\nmax_retries = 2\n`, '[[backends]] #1 (name = "files")'],
    ['failover_for', STDIO + HTTP + `failover_for = "files"\n`, '[[backends]] #2 (name = "web")'],
    ['circuit_breaker', STDIO + `[backends.circuit_breaker]\nminimum_calls = 5\n`, '[[backends]] #1 (name = "files")'],
    ['role_mapping', `[auth]\ntype = "bearer"\ntokens = ["t"]\n[auth.role_mapping]\nclaim = "x"\n` + STDIO, '[auth]'],
    ['cache', `[cache]\nbackend = "memory"\n` + STDIO, 'the top level'],
    ['hot_reload', `[proxy]\nhot_reload = true\n` + STDIO, '[proxy]'],
    ['rate_limit', `[proxy.rate_limit]\nrequests = 5\n` + STDIO, '[proxy]'],
    ['canary_of', STDIO + HTTP + `canary_of = "files"\n`, '[[backends]] #2 (name = "web")'],
    ['metrics', `[observability.metrics]\nenabled = true\n` + STDIO, '[observability]'],
  ])('rejects `%s` and says it is not implemented yet', (key, text, where) => {
    const msg = errorOf(text);
    expect(msg).toContain(`key \`${key}\` in ${where}`);
    expect(msg).toContain('not implement it yet');
  });
  it('rejects transport = "websocket" naming the backend', () => {
    const msg = errorOf(`[[backends]]\nname = "ws"\ntransport = "websocket"\nurl = "ws://x"\n`);
    expect(msg).toContain('[[backends]] #1 (name = "ws")');
    expect(msg).toContain('transport = "websocket" is not implemented yet');
  });
  it('rejects an unknown transport with the allowed values', () => {
    const msg = errorOf(`[[backends]]\nname = "x"\ntransport = "grpc"\nurl = "http://x"\n`);
    expect(msg).toContain('`transport` in [[backends]] #1 (name = "x")');
    expect(msg).toContain('[[backends]] #1 (name = "x")');
    expect(msg).toMatch(/"stdio"\|"http"/);
  });
  describe('[auth]', () => {
    it('loads bearer tokens and scoped tokens (drop-in with mcp-proxy), with ${VAR} tokens', () => {
      const cfg = load(`[auth]\ntype = "bearer"\ntokens = ["\${T}"]\n[[auth.scoped_tokens]]\ntoken = "s1"\nallow_tools = ["files/*"]\n` + STDIO, { T: 'from-env' });
      expect(cfg.auth).toEqual({ type: 'bearer', tokens: ['from-env'], scoped_tokens: [{ token: 's1', allow_tools: ['files/*'] }] });
    });
    it('says jwt and oauth are not implemented yet, and so are roles', () => {
      expect(errorOf(`[auth]\ntype = "jwt"\nissuer = "x"\n` + STDIO)).toContain('[auth] type = "jwt" is not implemented yet in mcp-relay (supported: "bearer")');
      expect(errorOf(`[auth]\ntype = "oauth"\n` + STDIO)).toContain('type = "oauth" is not implemented yet');
      expect(errorOf(`[auth]\ntype = "bearer"\ntokens = ["a"]\nroles = []\n` + STDIO)).toContain('key `roles` in [auth] belongs to the mcp-proxy config format but mcp-relay does not implement it yet');
    });
    it('refuses an [auth] that lets nobody in, a repeated token, and scopes that are both or neither, without echoing tokens', () => {
      expect(errorOf(`[auth]\ntype = "bearer"\n` + STDIO)).toContain('needs at least one entry in `tokens` or `[[auth.scoped_tokens]]`');
      const dup = errorOf(`[auth]\ntype = "bearer"\ntokens = ["secret-1"]\n[[auth.scoped_tokens]]\ntoken = "secret-1"\ndeny_tools = ["x"]\n` + STDIO);
      expect(dup).toContain('[[auth.scoped_tokens]] #1: the same token appears twice');
      expect(dup).not.toContain('secret-1');
      expect(errorOf(`[auth]\ntype = "bearer"\n[[auth.scoped_tokens]]\ntoken = "a"\nallow_tools = ["x"]\ndeny_tools = ["y"]\n` + STDIO)).toContain('set `allow_tools` or `deny_tools`, not both');
      expect(errorOf(`[auth]\ntype = "bearer"\n[[auth.scoped_tokens]]\ntoken = "a"\n` + STDIO)).toContain('needs `allow_tools` or `deny_tools`');
      expect(errorOf(`[auth]\ntype = "bearer"\n[[auth.scoped_tokens]]\ntoken = "a"\nallow_tools = ["re:("]\n` + STDIO)).toContain('key `allow_tools`, entry #1: invalid pattern');
      expect(errorOf(`[auth]\ntype = "bearer"\ntokens = ["a"]\nheader = "X-Key"\n` + STDIO)).toContain('header');
      expect(errorOf(`[auth]\ntype = "bearer"\ntokens = ["has space"]\n` + STDIO)).toContain('a token may only use A-Z a-z 0-9');
      expect(errorOf(`[auth]\ntype = "bearer"\ntokens = ["same-as-admin"]\n[security]\nadmin_token = "same-as-admin"\n` + STDIO)).toContain('must differ from security.admin_token');
      expect(errorOf(`[auth]\ntype = "bearer"\n[[auth.scoped_tokens]]\ntoken = "a"\ndeny_tools = ["!x"]\n` + STDIO)).toContain('negated patterns are not allowed in a token scope');
      expect(configWarnings(load(`[auth]\ntype = "bearer"\ntokens = ["short"]\n` + STDIO)).join('\n')).toContain('1 token(s) shorter than 16 characters');
    });
  });
  it('client_features defaults to sampling and elicitation (roots is opt-in) and accepts a subset or none', () => {
    expect(load(STDIO).proxy.client_features).toEqual(['sampling', 'elicitation']);
    expect(load(`[proxy]\nclient_features = ["sampling"]\n` + STDIO).proxy.client_features).toEqual(['sampling']);
    expect(load(`[proxy]\nclient_features = []\n` + STDIO).proxy.client_features).toEqual([]);
  });
  it('rejects an unknown client feature naming the key and the allowed values', () => {
    const msg = errorOf(`[proxy]\nclient_features = ["telepathy"]\n` + STDIO);
    expect(msg).toContain('client_features');
    expect(msg).toMatch(/"sampling"\|"elicitation"\|"roots"/);
  });
});

describe('config: schema value rules name the key', () => {
  it.each([
    ['no backends', `[proxy]\nname = "x"\n`, '`backends`'],
    ['empty backends', `backends = []\n`, 'at least one [[backends]] entry is required'],
    ['port > 65535', `[proxy.listen]\nport = 70000\n` + STDIO, '`port` in [proxy.listen]'],
    ['negative port', `[proxy.listen]\nport = -1\n` + STDIO, '`port` in [proxy.listen]'],
    ['empty host', `[proxy.listen]\nhost = ""\n` + STDIO, '`host` in [proxy.listen]'],
    ['relative path', `[proxy.http]\npath = "mcp"\n` + STDIO, '`path` in [proxy.http]: must be an absolute URL path'],
    ['max_body_bytes 0', `[proxy.http]\nmax_body_bytes = 0\n` + STDIO, '`max_body_bytes` in [proxy.http]'],
    ['max_batch float', `[proxy.http]\nmax_batch = 1.5\n` + STDIO, '`max_batch` in [proxy.http]'],
    ['empty proxy name', `[proxy]\nname = ""\n` + STDIO, '`name` in [proxy]: must not be empty'],
    ['mirror threads 65', `[mirror]\nthreads = 65\n` + STDIO, '`threads` in [mirror]'],
    ['mirror sample_size', `[mirror]\nsample_size = 10001\n` + STDIO, '`sample_size` in [mirror]'],
    ['mirror queue_size 0', `[mirror]\nqueue_size = 0\n` + STDIO, '`queue_size` in [mirror]'],
    ['log level', `[observability]\nlog_level = "loud"\n` + STDIO, '`log_level` in [observability]'],
    ['empty backend name', `[[backends]]\nname = ""\ntransport = "stdio"\ncommand = "x"\n`, '`name` in [[backends]] #1'],
    ['ftp url', `[[backends]]\nname = "w"\ntransport = "http"\nurl = "ftp://x/mcp"\n`, '`url` in [[backends]] #1 (name = "w"): must be an http:// or https:// URL'],
    ['timeout 0', STDIO + `[backends.timeout]\nseconds = 0\n`, '`seconds` in [[backends]] #1 (name = "files") [backends.timeout]'],
    ['max_message_bytes 0', STDIO + `max_message_bytes = 0\n`, '`max_message_bytes` in [[backends]] #1'],
    ['args not strings', STDIO + `args = [1]\n`, '`args[0]` in [[backends]] #1'],
  ])('%s', (_label, text, expected) => {
    expect(errorOf(text)).toContain(expected);
  });
});

describe('config: backend rules (validate.ts)', () => {
  it('duplicate backend names', () => {
    const msg = errorOf(STDIO + STDIO);
    expect(msg).toContain('[[backends]] #2 (name = "files"): duplicate backend name "files"');
  });
  it('characters outside A-Z a-z 0-9 _ - . in a name', () => {
    const msg = errorOf(`[[backends]]\nname = "my files"\ntransport = "stdio"\ncommand = "x"\n`);
    expect(msg).toContain('[[backends]] #1 (name = "my files"): key `name` may only use');
  });
  it('"/" in a name with the default separator', () => {
    const msg = errorOf(`[[backends]]\nname = "a/b"\ntransport = "stdio"\ncommand = "x"\n`);
    expect(msg).toContain('[[backends]] #1 (name = "a/b"): key `name`');
  });
  it('separator inside a backend name', () => {
    const msg = errorOf(`[proxy]\nseparator = "__"\n[[backends]]\nname = "my__files"\ntransport = "stdio"\ncommand = "x"\n`);
    expect(msg).toContain('[[backends]] #1 (name = "my__files"): key `name` contains the separator "__"');
  });
  it('"." separator inside a dotted name', () => {
    const msg = errorOf(`[proxy]\nseparator = "."\n[[backends]]\nname = "a.b"\ntransport = "stdio"\ncommand = "x"\n`);
    expect(msg).toContain('contains the separator "."');
  });
  it('reserved name proxy', () => {
    const msg = errorOf(`[[backends]]\nname = "proxy"\ntransport = "stdio"\ncommand = "x"\n`);
    expect(msg).toContain('[[backends]] #1 (name = "proxy"): backend name "proxy" is reserved');
  });
  it.each([':', 'a b', '123456789', '::'])('invalid separator %j names proxy.separator', (sep) => {
    const msg = errorOf(`[proxy]\nseparator = ${JSON.stringify(sep)}\n` + STDIO);
    expect(msg).toContain('key `proxy.separator`');
  });
  it('stdio without command', () => {
    const msg = errorOf(`[[backends]]\nname = "files"\ntransport = "stdio"\nargs = ["x"]\n`);
    expect(msg).toContain('[[backends]] #1 (name = "files"): transport = "stdio" needs key `command`');
  });
  it('http without url', () => {
    const msg = errorOf(`[[backends]]\nname = "web"\ntransport = "http"\n`);
    expect(msg).toContain('[[backends]] #1 (name = "web"): transport = "http" needs key `url`');
  });
  it('stdio with url', () => {
    const msg = errorOf(STDIO + `url = "http://x/mcp"\n`);
    expect(msg).toContain('[[backends]] #1 (name = "files"): keys `url`/`bearer_token` only apply to transport = "http"');
  });
  it('stdio with bearer_token', () => {
    expect(errorOf(STDIO + `bearer_token = "t"\n`)).toContain('`url`/`bearer_token` only apply to transport = "http"');
  });
  it.each([
    ['command', `command = "npx"\n`],
    ['args', `args = ["-y"]\n`],
    ['cwd', `cwd = "/tmp"\n`],
    ['env', `[backends.env]\nA = "1"\n`],
  ])('http with %s', (_k, extra) => {
    const msg = errorOf(HTTP + extra);
    expect(msg).toContain('[[backends]] #1 (name = "web"): keys `command`/`args`/`cwd`/`env` only apply to transport = "stdio"');
  });
});

describe('config: aliases', () => {
  const alias = (from: string, to: string): string => `[[backends.aliases]]\nfrom = "${from}"\nto = "${to}"\n`;
  it('loads valid aliases', () => {
    const cfg = load(STDIO + alias('read_text_file', 'read') + alias('write_file', 'write'));
    expect(cfg.backends[0]!.aliases).toEqual([
      { from: 'read_text_file', to: 'read' },
      { from: 'write_file', to: 'write' },
    ]);
  });
  it('allows a resource URI as `to`', () => {
    expect(load(STDIO + alias('file:///tmp/a.txt', 'file:///a.txt')).backends[0]!.aliases).toHaveLength(1);
  });
  it('two aliases to the same `to`', () => {
    const msg = errorOf(STDIO + alias('a', 'x') + alias('b', 'x'));
    expect(msg).toContain('[[backends]] #1 (name = "files") alias from = "b" to = "x": two aliases expose the same name "x"');
  });
  it('the same `from` twice', () => {
    const msg = errorOf(STDIO + alias('a', 'x') + alias('a', 'y'));
    expect(msg).toContain('[[backends]] #1 (name = "files") alias from = "a" to = "y": "a" is aliased twice');
  });
  it('`to` equal to another alias\'s `from`', () => {
    const msg = errorOf(STDIO + alias('a', 'b') + alias('b', 'c'));
    expect(msg).toContain('[[backends]] #1 (name = "files") alias to = "b": collides with another alias\'s `from`');
  });
  it('`from` equal to `to`', () => {
    expect(errorOf(STDIO + alias('a', 'a'))).toContain('alias from = "a" to = "a": `from` and `to` are the same');
  });
  it('invalid characters in `to`', () => {
    expect(errorOf(STDIO + alias('a', 'has space'))).toContain('alias from = "a" to = "has space": `to` may only use');
  });
  it('exposed name longer than 128 characters', () => {
    const long = 'x'.repeat(128 - 'files'.length);
    expect(errorOf(STDIO + alias('a', long))).toContain('would exceed 128 characters');
    expect(load(STDIO + alias('a', 'x'.repeat(128 - 'files'.length - 1))).backends[0]!.aliases).toHaveLength(1);
  });
  it('missing `to` names the aliases table', () => {
    const msg = errorOf(STDIO + `[[backends.aliases]]\nfrom = "a"\n`);
    expect(msg).toContain('`to` in [[backends]] #1');
    expect(msg).toContain('[[backends]] #1 (name = "files") [[backends.aliases]] #1');
  });
});

describe('config: mirroring', () => {
  const canary = (extra: string): string =>
    HTTP + `[[backends]]\nname = "canary"\ntransport = "http"\nurl = "http://127.0.0.1:3002/mcp"\n` + extra;
  it('loads a mirror', () => {
    const cfg = load(canary(`mirror_of = "web"\nmirror_percent = 10\n`));
    expect(cfg.backends[1]).toMatchObject({ mirror_of: 'web', mirror_percent: 10, mirror_read_only: false });
  });
  it.each([1, 100])('mirror_percent %i is allowed', (p) => {
    expect(load(canary(`mirror_of = "web"\nmirror_percent = ${p}\n`)).backends[1]!.mirror_percent).toBe(p);
  });
  it('mirror_of an unknown backend', () => {
    const msg = errorOf(canary(`mirror_of = "nope"\n`));
    expect(msg).toContain('[[backends]] #2 (name = "canary"): `mirror_of` = "nope" is not a backend name');
  });
  it('mirror_of itself', () => {
    expect(errorOf(canary(`mirror_of = "canary"\n`))).toContain('[[backends]] #2 (name = "canary"): `mirror_of` names the backend itself');
  });
  it('mirror chain', () => {
    const msg = errorOf(canary(`mirror_of = "web"\n`) + `[[backends]]\nname = "c2"\ntransport = "http"\nurl = "http://x/mcp"\nmirror_of = "canary"\n`);
    expect(msg).toContain('[[backends]] #3 (name = "c2"): `mirror_of` = "canary" is itself a mirror; mirror chains are not allowed');
  });
  it('mirror_percent 0', () => {
    const msg = errorOf(canary(`mirror_of = "web"\nmirror_percent = 0\n`));
    expect(msg).toContain('key `mirror_percent` in [[backends]] #2 (name = "canary"): must be 1..100');
  });
  it('mirror_percent 101', () => {
    const msg = errorOf(canary(`mirror_of = "web"\nmirror_percent = 101\n`));
    expect(msg).toContain('key `mirror_percent` in [[backends]] #2 (name = "canary"): must be 1..100');
  });
  it('mirror_percent 2.5', () => {
    expect(errorOf(canary(`mirror_of = "web"\nmirror_percent = 2.5\n`))).toContain('`mirror_percent` in [[backends]] #2');
  });
  it.each([
    ['mirror_percent', `mirror_percent = 10\n`],
    ['mirror_read_only', `mirror_read_only = true\n`],
    ['mirror_tools', `mirror_tools = ["a"]\n`],
  ])('%s without mirror_of', (_k, extra) => {
    expect(errorOf(canary(extra))).toContain('[[backends]] #2 (name = "canary"): `mirror_percent`, `mirror_read_only` and `mirror_tools` need `mirror_of`');
  });
  it('a mirror with aliases', () => {
    const msg = errorOf(canary(`mirror_of = "web"\n[[backends.aliases]]\nfrom = "a"\nto = "b"\n`));
    expect(msg).toContain('[[backends]] #2 (name = "canary"): a mirror backend cannot have aliases');
  });
  it('an invalid [mirror] ignore path is a config error naming the key', () => {
    // compilePath() rejects it at startup; `--check` should reject it too.
    const msg = errorOf(`[mirror]\nignore_paths = ["structuredContent.at"]\n` + STDIO);
    expect(msg).toContain('`ignore_paths` in [mirror]');
  });
});

describe('config: ${VAR} interpolation', () => {
  it('substitutes from the given env', () => {
    const cfg = load(`[[backends]]\nname = "web"\ntransport = "http"\nurl = "http://\${HOST}:\${PORT}/mcp"\nbearer_token = "\${TOKEN}"\n`, {
      HOST: '10.0.0.1',
      PORT: '3001',
      TOKEN: 's3cret',
    });
    expect(cfg.backends[0]!.url).toBe('http://10.0.0.1:3001/mcp');
    expect(cfg.backends[0]!.bearer_token).toBe('s3cret');
  });
  it('an unset variable names the variable and the key', () => {
    const msg = errorOf(`[[backends]]\nname = "web"\ntransport = "http"\nurl = "http://x/mcp"\nbearer_token = "\${GITHUB_TOKEN}"\n`);
    expect(msg).toContain('key `backends[0].bearer_token` uses ${GITHUB_TOKEN}');
    expect(msg).toContain('the environment variable GITHUB_TOKEN is not set');
  });
  it('names array elements and env table keys', () => {
    expect(errorOf(STDIO + `args = ["a", "\${DIR}"]\n`)).toContain('key `backends[0].args[1]` uses ${DIR}');
    expect(errorOf(STDIO + `[backends.env]\nAPI_KEY = "\${KEY}"\n`)).toContain('key `backends[0].env.API_KEY` uses ${KEY}');
    expect(errorOf(`[proxy]\nname = "\${NAME}"\n` + STDIO)).toContain('key `proxy.name` uses ${NAME}');
  });
  it('${VAR:-default} uses the default only when unset', () => {
    const text = STDIO + `args = ["\${DIR:-/tmp}", "\${EMPTY:-}", "\${SP:-a b c}"]\n`;
    expect(load(text).backends[0]!.args).toEqual(['/tmp', '', 'a b c']);
    expect(load(text, { DIR: '/srv', EMPTY: 'e', SP: 'x' }).backends[0]!.args).toEqual(['/srv', 'e', 'x']);
    // Set but empty is set.
    expect(load(text, { DIR: '' }).backends[0]!.args[0]).toBe('');
  });
  it('$${ is a literal ${ and is not interpolated', () => {
    const cfg = load(STDIO + `args = ["$\${HOME}", "a$\${X:-y}b", "$\${"]\n`, { HOME: '/root', X: 'no' });
    expect(cfg.backends[0]!.args).toEqual(['${HOME}', 'a${X:-y}b', '${']);
  });
  it('leaves a lone $ and $VAR alone', () => {
    expect(load(STDIO + `args = ["$HOME", "cost $5", "\${X}\${Y}"]\n`, { X: '1', Y: '2' }).backends[0]!.args).toEqual(['$HOME', 'cost $5', '12']);
  });
  it('interpolates before validation', () => {
    expect(errorOf(`[[backends]]\nname = "web"\ntransport = "http"\nurl = "\${URL:-not a url}"\n`)).toContain('`url` in [[backends]] #1');
    expect(load(`[proxy.listen]\nhost = "\${H:-127.0.0.1}"\n` + STDIO).proxy.listen.host).toBe('127.0.0.1');
  });
  it('does not interpolate not-yet-implemented keys first', () => {
    expect(errorOf(STDIO + `forward_auth = "\${UNSET}"\n`)).toContain('key `forward_auth`');
  });
});

describe('config: warnings', () => {
  it('warns about "/" in the separator', () => {
    expect(configWarnings(load(STDIO)).join('\n')).toContain('proxy.separator "/"');
    expect(configWarnings(load(`[proxy]\nseparator = "__"\n` + STDIO))).toEqual([]);
  });
  it('warns about a non-loopback host without admin token', () => {
    const w = configWarnings(load(`[proxy]\nseparator = "."\n[proxy.listen]\nhost = "0.0.0.0"\n` + STDIO));
    expect(w.join('\n')).toContain('proxy.listen.host = "0.0.0.0"');
    expect(w.join('\n')).toContain('there is no [auth]: anyone who can reach it can call every backend');
    expect(configWarnings(load(`[proxy]\nseparator = "."\n[proxy.listen]\nhost = "0.0.0.0"\n[security]\nadmin_token = "t"\n[auth]\ntype = "bearer"\ntokens = ["a-long-enough-token-0123"]\n` + STDIO))).toEqual([]);
  });
});
