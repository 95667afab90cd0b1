import { describe, expect, it } from 'vitest';
import { compilePattern, compilePatterns } from '../../../src/policy/patterns.js';

const matches = (pattern: string, name: string): boolean => compilePattern(pattern)(name);

describe('patterns: exact names', () => {
  it('a plain name matches only itself', () => {
    expect(matches('read_file', 'read_file')).toBe(true);
    expect(matches('read_file', 'read_file2')).toBe(false);
    expect(matches('read_file', 'xread_file')).toBe(false);
    expect(matches('read_file', 'READ_FILE')).toBe(false);
  });

  it('dots and slashes in a plain name are literal', () => {
    expect(matches('a.b', 'a.b')).toBe(true);
    expect(matches('a.b', 'axb')).toBe(false);
    expect(matches('docs/readme', 'docs/readme')).toBe(true);
  });
});

describe('patterns: globs are anchored', () => {
  it('read_* matches read_file but not xread_file', () => {
    expect(matches('read_*', 'read_file')).toBe(true);
    expect(matches('read_*', 'read_')).toBe(true);
    expect(matches('read_*', 'xread_file')).toBe(false);
    expect(matches('*_file', 'read_file')).toBe(true);
    expect(matches('*_file', 'read_file_x')).toBe(false);
  });

  it('* does not cross "/", ** does', () => {
    expect(matches('files/*', 'files/a')).toBe(true);
    expect(matches('files/*', 'files/a/b')).toBe(false);
    expect(matches('files/**', 'files/a/b')).toBe(true);
    expect(matches('file://docs/*', 'file://docs/a.md')).toBe(true);
    expect(matches('file://docs/*', 'file://docs/sub/a.md')).toBe(false);
    expect(matches('file://docs/**', 'file://docs/sub/a.md')).toBe(true);
  });

  it('{a,b} alternatives and ? single character', () => {
    expect(matches('{get,list}_*', 'get_user')).toBe(true);
    expect(matches('{get,list}_*', 'list_users')).toBe(true);
    expect(matches('{get,list}_*', 'delete_user')).toBe(false);
    expect(matches('?x', 'ax')).toBe(true);
    expect(matches('?x', 'x')).toBe(false);
    expect(matches('?x', 'abx')).toBe(false);
  });

  it('a leading ! negates', () => {
    expect(matches('!debug_*', 'debug_dump')).toBe(false);
    expect(matches('!debug_*', 'read_file')).toBe(true);
  });

  it('names starting with a dot are matched too', () => {
    expect(matches('*', '.hidden')).toBe(true);
  });
});

describe('patterns: re: regular expressions', () => {
  it('are unanchored: re:list matches playlist', () => {
    expect(matches('re:list', 'playlist')).toBe(true);
    expect(matches('re:list', 'list_files')).toBe(true);
    expect(matches('re:list', 'read')).toBe(false);
  });

  it('honour explicit anchors', () => {
    expect(matches('re:^admin_', 'admin_reset')).toBe(true);
    expect(matches('re:^admin_', 'not_admin_reset')).toBe(false);
    expect(matches('re:_v[0-9]+$', 'tool_v12')).toBe(true);
  });

  it('an invalid regex throws at compile time', () => {
    expect(() => compilePattern('re:(')).toThrow();
    expect(() => compilePattern('re:[a-')).toThrow();
  });
});

describe('compilePatterns', () => {
  it('matches when any pattern matches', () => {
    const m = compilePatterns(['read_file', 'list_*', 're:^admin'])!;
    expect(m('read_file')).toBe(true);
    expect(m('list_dir')).toBe(true);
    expect(m('admin_x')).toBe(true);
    expect(m('write_file')).toBe(false);
  });

  it('is undefined for an absent or empty list (no rule)', () => {
    expect(compilePatterns(undefined)).toBeUndefined();
    expect(compilePatterns([])).toBeUndefined();
  });

  it('throws when one of the patterns is an invalid regex', () => {
    expect(() => compilePatterns(['ok', 're:('])).toThrow();
  });
});
