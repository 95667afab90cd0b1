/**
 * Cross-field config rules, checked once at load (never on the request path).
 * Names: MCP 2025-11-25 says tool names SHOULD match [A-Za-z0-9._-]{1,128}.
 * Backend names and alias names are ours to choose, so they must match that set;
 * the separator may additionally be "/" (the mcp-proxy default; see `--check`).
 */
import { ConfigError } from '../errors.js';
import type { BackendConfig, RelayConfig } from './schema.js';
import { compilePath } from '../mirror/diff.js';

export const NAME_CHARS = /^[A-Za-z0-9._-]+$/;
export const MAX_NAME_LENGTH = 128;
/** Reserved for proxy-level tools (search mode, composite tools). */
export const RESERVED_BACKEND_NAMES = new Set(['proxy']);

export function validateConfig(cfg: RelayConfig, file: string): void {
  const fail = (msg: string): never => {
    throw new ConfigError(`${file}: ${msg}`);
  };
  const sep = cfg.proxy.separator;
  if (!/^[A-Za-z0-9._\-/]{1,8}$/.test(sep)) {
    fail(`key \`proxy.separator\` = "${sep}": must be 1-8 characters from A-Z a-z 0-9 _ - . /`);
  }

  const byName = new Map<string, BackendConfig>();
  cfg.backends.forEach((b, i) => {
    const label = `[[backends]] #${i + 1} (name = "${b.name}")`;
    if (byName.has(b.name)) fail(`${label}: duplicate backend name "${b.name}"`);
    byName.set(b.name, b);
    if (!NAME_CHARS.test(b.name)) fail(`${label}: key \`name\` may only use A-Z a-z 0-9 _ - . (it becomes part of every exposed tool name)`);
    if (b.name.includes(sep)) fail(`${label}: key \`name\` contains the separator "${sep}", so namespaced names could not be split`);
    if (RESERVED_BACKEND_NAMES.has(b.name)) fail(`${label}: backend name "${b.name}" is reserved for proxy-level tools`);
    if (b.transport === 'stdio') {
      if (!b.command) fail(`${label}: transport = "stdio" needs key \`command\``);
      if (b.url || b.bearer_token) fail(`${label}: keys \`url\`/\`bearer_token\` only apply to transport = "http"`);
    } else {
      if (!b.url) fail(`${label}: transport = "http" needs key \`url\``);
      if (b.command || b.args.length || b.cwd || Object.keys(b.env).length) {
        fail(`${label}: keys \`command\`/\`args\`/\`cwd\`/\`env\` only apply to transport = "stdio"`);
      }
    }
    validateAliases(b, label, fail);
  });

  cfg.mirror.ignore_paths.forEach((p, i) => {
    try {
      compilePath(p);
    } catch (err) {
      fail(`key \`ignore_paths\` in [mirror], entry #${i + 1}: ${(err as Error).message}`);
    }
  });

  cfg.backends.forEach((b, i) => {
    const label = `[[backends]] #${i + 1} (name = "${b.name}")`;
    const mirrorKeys = b.mirror_percent !== undefined || b.mirror_read_only || b.mirror_tools !== undefined;
    if (b.mirror_of === undefined) {
      if (mirrorKeys) fail(`${label}: \`mirror_percent\`, \`mirror_read_only\` and \`mirror_tools\` need \`mirror_of\``);
      return;
    }
    if (b.mirror_of === b.name) fail(`${label}: \`mirror_of\` names the backend itself`);
    const source = byName.get(b.mirror_of);
    if (!source) fail(`${label}: \`mirror_of\` = "${b.mirror_of}" is not a backend name`);
    if (source?.mirror_of !== undefined) {
      fail(`${label}: \`mirror_of\` = "${b.mirror_of}" is itself a mirror; mirror chains are not allowed`);
    }
    if (b.aliases.length) fail(`${label}: a mirror backend cannot have aliases (it receives the source's backend-local names)`);
  });
}

function validateAliases(b: BackendConfig, label: string, fail: (m: string) => never): void {
  const from = new Set<string>();
  const to = new Set<string>();
  for (const a of b.aliases) {
    const where = `${label} alias from = "${a.from}" to = "${a.to}"`;
    if (!NAME_CHARS.test(a.to) && !a.to.includes('://')) fail(`${where}: \`to\` may only use A-Z a-z 0-9 _ - .`);
    if (a.to.length + b.name.length + 1 > MAX_NAME_LENGTH) fail(`${where}: the exposed name would exceed ${MAX_NAME_LENGTH} characters`);
    if (from.has(a.from)) fail(`${where}: "${a.from}" is aliased twice`);
    if (to.has(a.to)) fail(`${where}: two aliases expose the same name "${a.to}"`);
    if (a.from === a.to) fail(`${where}: \`from\` and \`to\` are the same`);
    from.add(a.from);
    to.add(a.to);
  }
  for (const a of b.aliases) {
    if (from.has(a.to)) fail(`${label} alias to = "${a.to}": collides with another alias's \`from\` (chains are ambiguous)`);
  }
}

/** Non-fatal remarks for `--check`. */
export function configWarnings(cfg: RelayConfig): string[] {
  const out: string[] = [];
  if (cfg.proxy.separator.includes('/')) {
    out.push(
      `proxy.separator "${cfg.proxy.separator}" puts "/" in tool names; MCP 2025-11-25 says tool names SHOULD use only A-Z a-z 0-9 _ - . (strict clients may refuse them). Consider separator = "." or "__".`,
    );
  }
  if (cfg.proxy.listen.host !== '127.0.0.1' && cfg.proxy.listen.host !== 'localhost' && cfg.proxy.listen.host !== '::1') {
    if (!cfg.security.admin_token) out.push(`proxy.listen.host = "${cfg.proxy.listen.host}" exposes the proxy beyond loopback and security.admin_token is not set: /admin/* (except /admin/health) answers loopback peers only.`);
  }
  return out;
}
