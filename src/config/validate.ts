/**
 * Cross-field config rules, checked once at load (never on the request path).
 * Names: MCP 2025-11-25 says tool names SHOULD match [A-Za-z0-9._-]{1,128}.
 * Backend names and alias names are ours to choose, so they must match that set;
 * the separator may additionally be "/" (the mcp-proxy default; see `--check`).
 */
import { ConfigError } from '../errors.js';
import type { BackendConfig, RelayConfig } from './schema.js';
import { compilePath } from '../mirror/diff.js';
import { compilePattern } from '../policy/patterns.js';

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
    validateShaping(b, label, fail);
  });
  validateComposites(cfg, byName, fail);
  validateAuth(cfg, fail);

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
    const shaping = SHAPING_KEYS.filter((k) => isSet(b[k]));
    if (shaping.length) fail(`${label}: a mirror backend receives the source's calls after the source's policy stages; \`${shaping[0]}\` cannot be set on it`);
  });
}

const SHAPING_KEYS = ['expose_tools', 'hide_tools', 'expose_resources', 'hide_resources', 'expose_prompts', 'hide_prompts', 'hide_destructive', 'read_only_only', 'validate_arguments', 'default_args', 'inject_args', 'param_overrides'] as const;

function isSet(v: unknown): boolean {
  if (v === undefined || v === false) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object' && v !== null) return Object.keys(v).length > 0;
  return true;
}

function validateShaping(b: BackendConfig, label: string, fail: (m: string) => never): void {
  for (const kind of ['tools', 'resources', 'prompts'] as const) {
    const expose = b[`expose_${kind}`];
    const hide = b[`hide_${kind}`];
    if (expose !== undefined && hide !== undefined) fail(`${label}: \`expose_${kind}\` and \`hide_${kind}\` cannot both be set (use one: an allow-list or a deny-list)`);
    for (const [key, list] of [[`expose_${kind}`, expose], [`hide_${kind}`, hide]] as const) {
      for (const p of list ?? []) {
        try {
          compilePattern(p);
        } catch (err) {
          fail(`${label}: key \`${key}\` pattern "${p}": ${(err as Error).message}`);
        }
      }
    }
  }
  const seen = new Set<string>();
  for (const o of b.param_overrides) {
    const where = `${label} [[backends.param_overrides]] tool = "${o.tool}"`;
    if (seen.has(o.tool)) fail(`${where}: the tool has two param_overrides entries`);
    seen.add(o.tool);
    const targets = new Set<string>();
    for (const [from, to] of Object.entries(o.rename)) {
      if (o.hide.includes(from)) fail(`${where}: parameter "${from}" is both hidden and renamed`);
      if (targets.has(to)) fail(`${where}: two parameters are renamed to "${to}"`);
      if (o.hide.includes(to)) fail(`${where}: parameter "${from}" is renamed to the hidden name "${to}"`);
      targets.add(to);
    }
  }
  const injected = new Set<string>();
  for (const i of b.inject_args) {
    if (injected.has(i.tool)) fail(`${label} [[backends.inject_args]] tool = "${i.tool}": the tool has two inject_args entries`);
    injected.add(i.tool);
  }
}

function validateAuth(cfg: RelayConfig, fail: (m: string) => never): void {
  const auth = cfg.auth;
  if (!auth) return;
  if (auth.tokens.length + auth.scoped_tokens.length === 0) fail('[auth] type = "bearer" needs at least one entry in `tokens` or `[[auth.scoped_tokens]]`');
  const seen = new Set<string>();
  // Messages name where a token is, never the token itself.
  const checkToken = (token: string, where: string): void => {
    if (seen.has(token)) fail(`${where}: the same token appears twice in [auth] (tokens and scoped_tokens must all differ)`);
    seen.add(token);
    // RFC 6750 b64token: anything else (a space, a stray newline from an env file, non-ASCII)
    // could never match the header, i.e. a silent lockout
    if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) fail(`${where}: a token may only use A-Z a-z 0-9 - . _ ~ + / (then = padding), as in an Authorization: Bearer header`);
    if (token === cfg.security.admin_token) fail(`${where}: an MCP client token must differ from security.admin_token (the admin API shows other callers' arguments)`);
  };
  auth.tokens.forEach((t, i) => checkToken(t, `key \`tokens\` in [auth], entry #${i + 1}`));
  auth.scoped_tokens.forEach((s, i) => {
    const where = `[[auth.scoped_tokens]] #${i + 1}`;
    checkToken(s.token, where);
    if (s.allow_tools?.length && s.deny_tools?.length) fail(`${where}: set \`allow_tools\` or \`deny_tools\`, not both`);
    if (!s.allow_tools?.length && !s.deny_tools?.length) fail(`${where}: a scoped token needs \`allow_tools\` or \`deny_tools\` (put an unrestricted token in \`tokens\`)`);
    for (const key of ['allow_tools', 'deny_tools'] as const) {
      s[key]?.forEach((p, j) => {
        if (p.startsWith('!')) fail(`${where}: key \`${key}\`, entry #${j + 1}: negated patterns are not allowed in a token scope (list what to allow or deny)`);
        try {
          compilePattern(p);
        } catch (err) {
          fail(`${where}: key \`${key}\`, entry #${j + 1}: invalid pattern: ${(err as Error).message}`);
        }
      });
    }
  });
}

function validateComposites(cfg: RelayConfig, byName: Map<string, BackendConfig>, fail: (m: string) => never): void {
  const sep = cfg.proxy.separator;
  const names = new Set(cfg.composite_tools.map((c) => c.name));
  const seen = new Set<string>();
  cfg.composite_tools.forEach((c, i) => {
    const where = `[[composite_tools]] #${i + 1} (name = "${c.name}")`;
    if (!/^[A-Za-z0-9._\-/]{1,128}$/.test(c.name)) fail(`${where}: key \`name\` may only use A-Z a-z 0-9 _ - . / (at most 128)`);
    if (seen.has(c.name)) fail(`${where}: duplicate composite tool name`);
    seen.add(c.name);
    const i2 = c.name.indexOf(sep);
    if (i2 > 0 && (byName.has(c.name.slice(0, i2)) || c.name.slice(0, i2) === 'proxy')) fail(`${where}: the name starts with the namespace "${c.name.slice(0, i2)}${sep}" and would shadow its tools`);
    for (const t of c.tools) {
      const j = t.indexOf(sep);
      const backend = j > 0 ? byName.get(t.slice(0, j)) : undefined;
      if (names.has(t)) fail(`${where}: target "${t}" is a composite tool; composites cannot call composites`);
      if (!backend) fail(`${where}: target "${t}" is not <backend>${sep}<tool> for a configured backend`);
      if (backend?.mirror_of !== undefined) fail(`${where}: target "${t}" belongs to mirror backend "${backend.name}", which is hidden`);
    }
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
    if (!cfg.auth) out.push(`proxy.listen.host = "${cfg.proxy.listen.host}" exposes the proxy beyond loopback and there is no [auth]: anyone who can reach it can call every backend's tools.`);
  }
  const short = [...(cfg.auth?.tokens ?? []), ...(cfg.auth?.scoped_tokens.map((s) => s.token) ?? [])].filter((t) => t.length < 16).length;
  if (short) out.push(`[auth]: ${short} token(s) shorter than 16 characters; use long random tokens (e.g. \`openssl rand -base64 32\`).`);
  return out;
}
