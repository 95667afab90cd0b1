import { describe, it, expect } from 'vitest';
import { aliasTable, join, split, unalias } from '../../src/catalog/namespace.js';
import { decodeCursor, encodeCursor } from '../../src/catalog/cursor.js';

describe('namespace join/split', () => {
  it('splits at the first separator', () => {
    expect(split('ev/echo', '/')).toEqual({ backend: 'ev', rest: 'echo' });
    expect(split('ev/a/b', '/')).toEqual({ backend: 'ev', rest: 'a/b' });
    expect(split('fs/file:///tmp/x', '/')).toEqual({ backend: 'fs', rest: 'file:///tmp/x' });
    expect(split('gh__create__issue', '__')).toEqual({ backend: 'gh', rest: 'create__issue' });
    expect(split('a.b.c', '.')).toEqual({ backend: 'a', rest: 'b.c' });
  });
  it('is undefined without a separator or with an empty side', () => {
    expect(split('echo', '/')).toBeUndefined();
    expect(split('/echo', '/')).toBeUndefined();
    expect(split('ev/', '/')).toBeUndefined();
    expect(split('/', '/')).toBeUndefined();
    expect(split('', '/')).toBeUndefined();
    expect(split('ev_', '__')).toBeUndefined();
    expect(split('ev__', '__')).toBeUndefined();
    expect(split('__x', '__')).toBeUndefined();
  });
  it('join and split round-trip for every separator', () => {
    for (const sep of ['/', '.', '__', '-', '~']) {
      for (const local of ['echo', 'get-sum', 'a_b', `x${sep}y`, 'file:///tmp/a b']) {
        const name = join('backend1', sep, local);
        expect(split(name, sep)).toEqual({ backend: 'backend1', rest: local });
      }
    }
  });
});

describe('aliases', () => {
  const table = aliasTable([
    { from: 'read_text_file', to: 'read' },
    { from: 'file:///srv/a.txt', to: 'file:///a.txt' },
  ]);
  it('maps an exposed alias back to the original', () => {
    expect(unalias(table, 'read')).toBe('read_text_file');
    expect(unalias(table, 'file:///a.txt')).toBe('file:///srv/a.txt');
  });
  it('hides the original behind its alias', () => {
    expect(unalias(table, 'read_text_file')).toBeUndefined();
    expect(unalias(table, 'file:///srv/a.txt')).toBeUndefined();
  });
  it('passes other names through', () => {
    expect(unalias(table, 'write_file')).toBe('write_file');
    expect(unalias(aliasTable([]), 'anything')).toBe('anything');
  });
  it('forward and reverse maps', () => {
    expect(table.forward.get('read_text_file')).toBe('read');
    expect(table.reverse.get('read')).toBe('read_text_file');
    expect(table.forward.size).toBe(2);
  });
});

describe('cursor', () => {
  it('round-trips', () => {
    for (const backend of ['ev', 'a.b-c_d', 'x'.repeat(128), 'with\nnewline', 'ü✓']) {
      for (const page of [0, 1, 7, 999, Number.MAX_SAFE_INTEGER]) {
        const c = encodeCursor(backend, page);
        expect(c).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(decodeCursor(c)).toEqual({ backend, page });
      }
    }
  });
  it('is opaque (not the plain text)', () => {
    expect(encodeCursor('ev', 2)).not.toContain('ev');
  });
  it.each([
    ['empty', ''],
    ['not base64', '!!!***'],
    ['no newline', Buffer.from('ev').toString('base64url')],
    ['empty backend', Buffer.from('\n3').toString('base64url')],
    ['negative page', Buffer.from('ev\n-1').toString('base64url')],
    ['fractional page', Buffer.from('ev\n1.5').toString('base64url')],
    ['non-numeric page', Buffer.from('ev\nabc').toString('base64url')],
    ['NaN page', Buffer.from('ev\nNaN').toString('base64url')],
    ['Infinity page', Buffer.from('ev\nInfinity').toString('base64url')],
    ['random bytes', Buffer.from([0xff, 0xfe, 0x00, 0x01]).toString('base64url')],
  ])('rejects a garbage cursor: %s', (_label, cursor) => {
    expect(decodeCursor(cursor)).toBeUndefined();
  });
});
