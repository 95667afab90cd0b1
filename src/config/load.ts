/**
 * Config loading: TOML text → ${VAR} interpolation → "not implemented yet" check
 * → strict schema → cross-field validation. The only module that knows TOML.
 * Every error names the file and the key.
 */
import { readFileSync } from 'node:fs';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { configSchema, type RelayConfig } from './schema.js';
import { validateConfig } from './validate.js';

/**
 * Keys of the Rust mcp-proxy format that mcp-relay does not implement yet.
 * They are errors, never silently ignored: a config that relies on them would
 * otherwise run without the protection it asks for.
 */
const NOT_YET: Record<string, readonly string[]> = {
  '': ['performance', 'cache'],
  auth: ['roles', 'role_mapping'],
  proxy: ['hot_reload', 'import_backends', 'rate_limit'],
  security: [],
  observability: ['audit', 'metrics', 'tracing', 'access_log'],
  backends: [
    'forward_auth', 'failover_for', 'priority', 'canary_of', 'weight', 'circuit_breaker', 'rate_limit',
    'concurrency', 'retry', 'hedging', 'outlier_detection', 'cache',
  ],
};

export interface LoadOptions {
  /** Environment for ${VAR} interpolation (default: process.env). */
  env?: NodeJS.ProcessEnv;
}

export function loadConfigFile(file: string, opts: LoadOptions = {}): RelayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config file: ${(err as Error).message}`);
  }
  return parseConfig(text, file, opts);
}

export function parseConfig(text: string, file: string, opts: LoadOptions = {}): RelayConfig {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (err) {
    const where = err instanceof TomlError ? ` (line ${err.line}, column ${err.column})` : '';
    throw new ConfigError(`${file}: invalid TOML${where}: ${firstLine((err as Error).message)}`);
  }
  rejectNotYetImplemented(raw, file);
  const interpolated = interpolate(raw, opts.env ?? process.env, file, '');
  const parsed = configSchema.safeParse(interpolated);
  if (!parsed.success) throw new ConfigError(formatIssues(parsed.error.issues, file, interpolated));
  validateConfig(parsed.data, file);
  return parsed.data;
}

function rejectNotYetImplemented(raw: unknown, file: string): void {
  if (!isRecord(raw)) return;
  const check = (obj: unknown, table: string, label: string): void => {
    if (!isRecord(obj)) return;
    for (const key of NOT_YET[table] ?? []) {
      if (key in obj) {
        throw new ConfigError(
          `${file}: key \`${key}\` in ${label} belongs to the mcp-proxy config format but mcp-relay does not implement it yet; remove it (see docs/configuration.md, "Not implemented yet").`,
        );
      }
    }
  };
  check(raw, '', 'the top level');
  check(raw.proxy, 'proxy', '[proxy]');
  check(raw.security, 'security', '[security]');
  check(raw.auth, 'auth', '[auth]');
  if (isRecord(raw.auth) && (raw.auth.type === 'jwt' || raw.auth.type === 'oauth')) {
    throw new ConfigError(`${file}: [auth] type = "${raw.auth.type}" is not implemented yet in mcp-relay (supported: "bearer").`);
  }
  check(raw.observability, 'observability', '[observability]');
  if (Array.isArray(raw.backends)) {
    raw.backends.forEach((b, i) => {
      check(b, 'backends', backendLabel(raw, i));
      if (isRecord(b) && b.transport === 'websocket') {
        throw new ConfigError(`${file}: ${backendLabel(raw, i)}: transport = "websocket" is not implemented yet in mcp-relay (use "stdio" or "http").`);
      }
    });
  }
}

const VAR = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces ${VAR} and ${VAR:-default} in every string value; $${ is a literal "${". */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, file: string, path: string): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(VAR, (_match, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      const v = env[name];
      if (v !== undefined) return v;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`${file}: key \`${path}\` uses \${${name}}, but the environment variable ${name} is not set (write \${${name}:-default} to give a default).`);
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, file, `${path}[${i}]`));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, file, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

function formatIssues(issues: readonly z.core.$ZodIssue[], file: string, raw: unknown): string {
  const lines = issues.slice(0, 10).map((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.map((k) => `\`${k}\``).join(', ');
      return `${file}: unknown key ${keys} in ${describeTable(path, raw)} (check the spelling; docs/configuration.md lists every key)`;
    }
    // The key is the last name in the path; trailing array indices are shown as [n].
    let k = path.length;
    while (k > 0 && /^\d+$/.test(path[k - 1]!)) k--;
    const table = path.slice(0, Math.max(0, k - 1));
    const key = k > 0 ? `\`${path[k - 1]}${path.slice(k).map((i) => `[${i}]`).join('')}\`` : 'the file';
    const message = issue.code === 'invalid_type' && issue.message.endsWith('received undefined') ? 'is required' : issue.message;
    return `${file}: key ${key} in ${describeTable(table, raw)}: ${message}`;
  });
  if (issues.length > 10) lines.push(`… and ${issues.length - 10} more`);
  return lines.join('\n');
}

/**
 * Names the table a path points into, as a user reads the file:
 * "[proxy.listen]", "[[backends]] #2 (name = \"files\")",
 * "[[backends]] #2 (name = \"files\") [[backends.aliases]] #1", "the top level".
 */
function describeTable(path: string[], raw: unknown): string {
  if (!path.length) return 'the top level';
  if (path[0] === 'backends' && path.length >= 2) {
    const label = backendLabel(raw, Number(path[1]));
    const rest = path.slice(2);
    if (!rest.length) return label;
    const name = rest.filter((p) => !/^\d+$/.test(p)).join('.');
    const index = rest.find((p) => /^\d+$/.test(p));
    return index === undefined ? `${label} [backends.${name}]` : `${label} [[backends.${name}]] #${Number(index) + 1}`;
  }
  if (path.length >= 2 && /^\d+$/.test(path[1]!)) return `[[${path[0]}]] #${Number(path[1]) + 1}`;
  const names = path.filter((p) => !/^\d+$/.test(p));
  return `[${names.join('.')}]`;
}

function backendLabel(raw: unknown, index: number): string {
  const backends = isRecord(raw) && Array.isArray(raw.backends) ? raw.backends : [];
  const b: unknown = backends[index];
  const name = isRecord(b) && typeof b.name === 'string' ? ` (name = "${b.name}")` : '';
  return `[[backends]] #${index + 1}${name}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
