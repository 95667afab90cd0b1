/**
 * Inbound authentication of MCP clients on the HTTP front end (`[auth] type = "bearer"`).
 * `Authorization: Bearer <token>` must name one of `tokens` (unrestricted) or of
 * `[[auth.scoped_tokens]]` (limited to the tools its `allow_tools` / `deny_tools`
 * patterns permit: exact names, globs or `re:`, as in the policy filters).
 *
 * Tokens are looked up by SHA-256 digest, so the lookup's timing says nothing about how
 * much of a guess was right; once the authenticator is built the plaintext is dropped
 * from the loaded config, so only digests stay in memory. The principal a session was
 * opened with is bound to it: another token cannot use that session. The stdio front end
 * is local and not authenticated.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RelayConfig } from '../config/schema.js';
import { RelayError } from '../errors.js';
import { compilePattern, type Matcher } from '../policy/patterns.js';

/** Who is calling: which configured token (never the token itself) and what it may call. */
export interface Principal {
  /** `tokens[0]`, `scoped_tokens[1]`: safe to log. */
  readonly label: string;
  /** Undefined for an unrestricted token. */
  readonly canCall?: (tool: string) => boolean;
}

export type Authenticate = (req: IncomingMessage) => Principal;

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const REDACTED = '<redacted>';

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

/**
 * A scope list: the filters' pattern language, except that `re:` is anchored (a scope is a
 * security boundary: "re:files/read" must not also allow "myfiles/read_all"). Negated globs
 * are refused at load (validate.ts).
 */
export function compileScope(patterns: readonly string[]): Matcher {
  const matchers = patterns.map((p) => (p.startsWith('re:') ? anchored(p.slice(3)) : compilePattern(p)));
  return (name) => matchers.some((m) => m(name));
}

function anchored(source: string): Matcher {
  const re = new RegExp(`^(?:${source})$`);
  return (name) => re.test(name);
}

/** Builds the request authenticator, or null when `[auth]` is not configured. */
export function createAuthenticator(cfg: RelayConfig): Authenticate | null {
  const auth = cfg.auth;
  if (!auth) return null;
  const principals = new Map<string, Principal>();
  auth.tokens.forEach((t, i) => principals.set(digest(t), { label: `tokens[${i}]` }));
  auth.scoped_tokens.forEach((s, i) => {
    // validate.ts guarantees exactly one of the two lists
    const deny = s.allow_tools?.length ? undefined : compileScope(s.deny_tools ?? []);
    const canCall = deny ? (tool: string) => !deny(tool) : compileScope(s.allow_tools!);
    principals.set(digest(s.token), { label: `scoped_tokens[${i}]`, canCall });
  });
  // Only the digests are needed from here on: drop the plaintext from the loaded config.
  auth.tokens = auth.tokens.map(() => REDACTED);
  for (const s of auth.scoped_tokens) s.token = REDACTED;
  return (req) => {
    const header = req.headers.authorization;
    if (header === undefined || header === '') throw new RelayError('AUTH_REQUIRED', 'Unauthorized: missing bearer token (Authorization: Bearer <token>)');
    const m = BEARER.exec(header);
    const principal = m ? principals.get(digest(m[1]!)) : undefined;
    if (!principal) throw new RelayError('AUTH_INVALID', 'Unauthorized: invalid bearer token');
    return principal;
  };
}

/** The error a scoped token gets for a tool it may not call (the call never reaches a backend). */
export function notAuthorized(tool: string): RelayError {
  return new RelayError('TOOL_NOT_AUTHORIZED', `Token is not authorized to call tool: ${tool}`, { name: tool });
}
