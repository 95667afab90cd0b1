#!/usr/bin/env node
/**
 * mcp-relay command line.
 *   mcp-relay                      serve the embedded demo (what `npm start` runs)
 *   mcp-relay --config FILE        serve a config
 *   mcp-relay --check --config F   validate and summarise, then exit
 *   mcp-relay --stdio --config F   speak MCP on stdin/stdout
 *   mcp-relay try [URL]            list tools through a running proxy and call one
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { loadConfigFile, parseConfig } from './config/load.js';
import { configWarnings } from './config/validate.js';
import type { RelayConfig } from './config/schema.js';
import { ConfigError } from './errors.js';
import { Relay } from './relay.js';
import { serveStdio } from './server/stdio.js';
import { createLogger } from './util/log.js';

const HELP = `mcp-relay — a fast reverse proxy for the Model Context Protocol

Usage:
  mcp-relay [options]              serve the embedded demo config (no --config)
  mcp-relay --config proxy.toml    serve what the file says
  mcp-relay --check --config F     validate F, print a summary and warnings, exit 0/1
  mcp-relay --stdio --config F     serve MCP over stdin/stdout (for desktop clients)
  mcp-relay try [URL]              list tools via a running proxy and call one
                                   (MCP_RELAY_TOKEN=<token> for a proxy with [auth])
                                   (default URL http://127.0.0.1:8080/mcp)

Options:
  -c, --config FILE                TOML config (mcp-proxy compatible; see docs/configuration.md)
      --check                      validate only
      --stdio                      stdio front end instead of HTTP
      --host HOST                  override proxy.listen.host
  -p, --port PORT                  override proxy.listen.port (0 = any free port)
      --log-level LEVEL            trace|debug|info|warn|error|silent (observability.log_level)
      --json-logs                  JSON log lines (observability.json_logs)
      --mirror-queue-size N        override mirror.queue_size
      --mirror-threads N           override mirror.threads
      --mirror-concurrency N       override mirror.concurrency (per thread)
      --mirror-timeout-ms N        override mirror.timeout_ms
  -h, --help                       this text
  -v, --version                    print the version

When ready, the proxy logs "listening on http://HOST:PORT/PATH". SIGINT/SIGTERM
shut it down gracefully (proxy.shutdown_timeout_seconds).`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  check: { type: 'boolean' },
  stdio: { type: 'boolean' },
  host: { type: 'string' },
  port: { type: 'string', short: 'p' },
  'log-level': { type: 'string' },
  'json-logs': { type: 'boolean' },
  'mirror-queue-size': { type: 'string' },
  'mirror-threads': { type: 'string' },
  'mirror-concurrency': { type: 'string' },
  'mirror-timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

function int(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`--${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  // The demo and `try` load the MCP SDK; import them only when used (a proxy never needs them).
  if (argv[0] === 'try') return (await import('./try.js')).tryProxy(argv[1] ?? 'http://127.0.0.1:8080/mcp');
  const { values } = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false });
  if (values.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (values.version) {
    process.stdout.write(version() + '\n');
    return 0;
  }
  const demo = values.config === undefined && !values.check && !values.stdio ? await (await import('./demo/embedded.js')).startDemo() : undefined;
  let config: RelayConfig;
  if (demo) config = parseConfig(demo.toml, '<embedded demo config>');
  else if (values.config !== undefined) config = loadConfigFile(values.config);
  else throw new ConfigError('--check and --stdio need --config FILE');

  const port = int('port', values.port, 0);
  if (port !== undefined) config.proxy.listen.port = port;
  if (values.host !== undefined) config.proxy.listen.host = values.host;
  if (values['log-level'] !== undefined) config.observability.log_level = values['log-level'] as RelayConfig['observability']['log_level'];
  if (values['json-logs']) config.observability.json_logs = true;

  if (values.check) {
    process.stdout.write(summary(config, values.config!));
    return 0;
  }
  const log = createLogger({ level: config.observability.log_level, json: config.observability.json_logs });
  // A bug on a background path must not take every client down with it: log it and keep serving.
  process.on('unhandledRejection', (err) => log.error({ err: err instanceof Error ? err.stack : String(err) }, 'unhandled rejection (bug): please report it'));
  const relay = new Relay({
    config,
    log,
    mirror: {
      queue_size: int('mirror-queue-size', values['mirror-queue-size'], 1),
      threads: int('mirror-threads', values['mirror-threads'], 1),
      concurrency: int('mirror-concurrency', values['mirror-concurrency'], 1),
      timeout_ms: int('mirror-timeout-ms', values['mirror-timeout-ms'], 1),
    },
  });
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.proxy.shutdown_timeout_seconds * 1000);
    force.unref();
    void relay.stop().then(async () => {
      await demo?.close();
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const warnings = configWarnings(config); // before listening: the listener drops token plaintext
  await relay.startBackends();
  if (values.stdio) {
    if (config.auth) log.warn('[auth] does not apply to --stdio: the stdio front end is a local process and every tool is reachable through it');
    log.info({ backends: relay.backends.length, stages: relay.stages }, 'serving MCP on stdio');
    await serveStdio(relay);
    stop('stdin closed');
    return 0;
  }
  const { url } = await relay.listen();
  for (const w of warnings) log.warn(w);
  log.info({ backends: relay.backends.map((b) => `${b.name}:${b.state}`).join(','), stages: relay.stages.join(',') || 'none' }, `listening on ${url}`);
  // The ready line is part of the CLI contract: print it even when info logs are off.
  if (!log.isLevelEnabled('info')) process.stderr.write(`listening on ${url}\n`);
  if (demo) {
    process.stderr.write(`\nmcp-relay demo is up. MCP endpoint: ${url}\nTry it:  node dist/cli.js try ${url}   (or point any MCP client at the URL)\n\n`);
  }
  return -1;
}

function summary(cfg: RelayConfig, file: string): string {
  const lines = [`${file}: OK`, `proxy "${cfg.proxy.name}" ${cfg.proxy.version} on ${cfg.proxy.listen.host}:${cfg.proxy.listen.port}${cfg.proxy.http.path}, separator "${cfg.proxy.separator}"`];
  for (const b of cfg.backends) {
    const where = b.transport === 'stdio' ? `stdio` : 'http';
    const tags = [
      b.aliases.length ? `${b.aliases.length} alias(es)` : '',
      b.timeout ? `timeout ${b.timeout.seconds}s` : '',
      b.mirror_of ? `mirror of ${b.mirror_of} at ${b.mirror_percent ?? 100}%${b.mirror_read_only ? ', read-only tools' : ''}` : '',
      b.bearer_token ? 'bearer token set' : '',
    ].filter(Boolean);
    lines.push(`  backend ${b.name} (${where})${tags.length ? ': ' + tags.join(', ') : ''}`);
  }
  const mirrors = cfg.backends.filter((b) => b.mirror_of);
  if (mirrors.length) lines.push(`mirror: queue_size ${cfg.mirror.queue_size}, threads ${cfg.mirror.threads}, concurrency ${cfg.mirror.concurrency}, timeout ${cfg.mirror.timeout_ms} ms`);
  const auth = cfg.auth;
  lines.push(auth ? `clients: bearer token required (${auth.tokens.length} unrestricted, ${auth.scoped_tokens.length} scoped)` : 'clients: no [auth] (anyone who can reach the listener)');
  lines.push(`admin: ${cfg.security.admin_token ? 'token required' : 'loopback clients only'} (/admin/health is always open)`);
  for (const w of configWarnings(cfg)) lines.push(`warning: ${w}`);
  return lines.join('\n') + '\n';
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof ConfigError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      process.stderr.write(`mcp-relay: ${(err as Error).message}\n`);
      process.exit(2);
    }
    process.stderr.write(`mcp-relay: fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
