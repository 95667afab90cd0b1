/**
 * Inbound authentication of MCP clients on the HTTP front end (`[auth] type = "bearer"`).
 * `Authorization: Bearer <token>` must name one of `tokens` (unrestricted) or of
 * `[[auth.scoped_tokens]]` (limited to the tools its `allow_tools` / `deny_tools`
 * patterns permit: exact names, globs or `re:`, as in the policy filters).
 *
 * Tokens are kept only as SHA-256 digests and looked up by digest, so the lookup's
 * timing says nothing about how much of a guess was right, and a heap dump does not
 * hold them. The principal a session was opened with is bound to it: another token
 * cannot use that session. The stdio front end is local and not authenticated.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RelayConfig } from '../config/schema.js';
import { RelayError } from '../errors.js';
import { compilePatterns } from '../policy/patterns.js';

/** Who is calling: which configured token (never the token itself) and what it may call. */
export interface Principal {
  /** `tokens[0]`, `scoped_tokens[1]`: safe to log. */
  readonly label: string;
  /** Undefined for an unrestricted token. */
  readonly canCall?: (tool: string) => boolean;
}

export type Authenticate = (req: IncomingMessage) => Principal;

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64');
}

/** Builds the request authenticator, or null when `[auth]` is not configured. */
export function createAuthenticator(cfg: RelayConfig): Authenticate | null {
  const auth = cfg.auth;
  if (!auth) return null;
  const principals = new Map<string, Principal>();
  auth.tokens.forEach((t, i) => principals.set(digest(t), { label: `tokens[${i}]` }));
  auth.scoped_tokens.forEach((s, i) => {
    const allow = compilePatterns(s.allow_tools);
    const deny = compilePatterns(s.deny_tools);
    const canCall = allow ? allow : (tool: string) => !deny!(tool);
    principals.set(digest(s.token), { label: `scoped_tokens[${i}]`, canCall });
  });
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
