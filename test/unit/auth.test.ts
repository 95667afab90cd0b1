import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { compileScope, createAuthenticator } from '../../src/server/auth.js';
import { parseConfig } from '../../src/config/load.js';

describe('token scopes', () => {
  it('exact names and globs as in the filters; re: is anchored (a scope is a boundary)', () => {
    const allow = compileScope(['files/read_*', 'web/search', 're:git/(log|show)']);
    expect(['files/read_file', 'web/search', 'git/log', 'git/show'].every(allow)).toBe(true);
    expect(['files/write', 'web/search2', 'git/log_all', 'mygit/log', 'files/read_x/y'].some(allow)).toBe(false);
    expect(compileScope(['shell/**'])('shell/admin/exec')).toBe(true);
  });
});

describe('createAuthenticator', () => {
  const cfg = (): ReturnType<typeof parseConfig> =>
    parseConfig(`[auth]\ntype = "bearer"\ntokens = ["full-token-0123456789"]\n[[auth.scoped_tokens]]\ntoken = "scoped-token-0123456789"\ndeny_tools = ["d/*"]\n[[backends]]\nname = "d"\ntransport = "stdio"\ncommand = "x"\n`, 'auth.toml');
  const req = (authorization?: string): IncomingMessage => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

  it('maps a header to its principal, and drops the plaintext tokens from the config', () => {
    const config = cfg();
    const auth = createAuthenticator(config)!;
    expect(auth(req('Bearer full-token-0123456789'))).toEqual({ label: 'tokens[0]' });
    const scoped = auth(req('BEARER   scoped-token-0123456789 '));
    expect(scoped.label).toBe('scoped_tokens[0]');
    expect(scoped.canCall!('d/x')).toBe(false);
    expect(scoped.canCall!('e/x')).toBe(true);
    expect(JSON.stringify(config)).not.toContain('token-0123456789');
  });

  it('refuses missing, unknown and non-Bearer credentials with distinct codes', () => {
    const auth = createAuthenticator(cfg())!;
    expect(() => auth(req())).toThrow(expect.objectContaining({ code: 'AUTH_REQUIRED' }));
    for (const h of ['Bearer nope', 'Basic full-token-0123456789', 'full-token-0123456789', 'Bearer full-token-0123456789 extra']) {
      expect(() => auth(req(h))).toThrow(expect.objectContaining({ code: 'AUTH_INVALID' }));
    }
  });

  it('is null without [auth]', () => {
    expect(createAuthenticator(parseConfig(`[[backends]]\nname = "d"\ntransport = "stdio"\ncommand = "x"\n`, 'a.toml'))).toBeNull();
  });
});
