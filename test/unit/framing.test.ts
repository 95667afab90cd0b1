import { describe, it, expect } from 'vitest';
import { LineSplitter } from '../../src/backends/framing.js';

function splitter(max: number): { s: LineSplitter; lines: string[]; oversize: number[] } {
  const lines: string[] = [];
  const oversize: number[] = [];
  const s = new LineSplitter(max, (l) => lines.push(l), (n) => oversize.push(n));
  return { s, lines, oversize };
}

describe('LineSplitter', () => {
  it('delivers complete lines and holds the rest', () => {
    const { s, lines } = splitter(1024);
    s.push('{"a":1}\n{"b"');
    expect(lines).toEqual(['{"a":1}']);
    s.push(':2}\n');
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
  });
  it('lines across many chunks, byte by byte', () => {
    const text = '{"id":1}\n{"id":2,"x":"ü✓"}\r\n\n{"id":3}\n';
    const { s, lines } = splitter(1024);
    for (const ch of text) s.push(ch);
    expect(lines).toEqual(['{"id":1}', '{"id":2,"x":"ü✓"}', '{"id":3}']);
  });
  it('every two-piece split gives the same lines', () => {
    const text = 'one\r\ntwo\nthree\r\n';
    for (let i = 0; i <= text.length; i++) {
      const { s, lines } = splitter(1024);
      s.push(text.slice(0, i));
      s.push(text.slice(i));
      expect(lines).toEqual(['one', 'two', 'three']);
    }
  });
  it('strips CR of CRLF, including a CR at a chunk end', () => {
    const { s, lines } = splitter(1024);
    s.push('a\r');
    s.push('\nb\r\n');
    expect(lines).toEqual(['a', 'b']);
  });
  it('skips empty lines', () => {
    const { s, lines } = splitter(1024);
    s.push('\n\r\n\nx\n\n');
    expect(lines).toEqual(['x']);
  });
  it('a line of exactly the cap is delivered', () => {
    const { s, lines, oversize } = splitter(10);
    s.push('0123456789\n');
    expect(lines).toEqual(['0123456789']);
    expect(oversize).toEqual([]);
  });
  it('drops an oversize line inside one chunk and delivers the next', () => {
    const { s, lines, oversize } = splitter(10);
    s.push(`ok\n${'x'.repeat(50)}\nnext\n`);
    expect(lines).toEqual(['ok', 'next']);
    expect(oversize).toEqual([50]);
  });
  it('drops an oversize line that spans chunks, reports it once, delivers the next', () => {
    const { s, lines, oversize } = splitter(10);
    s.push('first\nxxxxxxxx');
    s.push('xxxxxxxx');
    s.push('xxxxxxxxxxxxxxxxxxxxxxxxxx');
    s.push('xxxx\nsecond\n');
    expect(lines).toEqual(['first', 'second']);
    expect(oversize).toHaveLength(1);
    expect(oversize[0]).toBeGreaterThan(10);
  });
  it('oversize fed byte by byte', () => {
    const { s, lines, oversize } = splitter(8);
    for (const ch of `${'y'.repeat(100)}\nafter\n`) s.push(ch);
    expect(lines).toEqual(['after']);
    expect(oversize).toEqual([9]);
  });
  it('a held partial line completed past the cap is dropped', () => {
    const { s, lines, oversize } = splitter(10);
    s.push('12345');
    s.push('67890abc\nz\n');
    expect(lines).toEqual(['z']);
    expect(oversize).toEqual([13]);
  });
  it('keeps working after several oversize lines', () => {
    const { s, lines, oversize } = splitter(4);
    s.push('aaaaaaa\nbb\nccccccc');
    s.push('ccc\ndd\neeeeeeeeeee\nff\n');
    expect(lines).toEqual(['bb', 'dd', 'ff']);
    expect(oversize).toHaveLength(3);
  });
});
