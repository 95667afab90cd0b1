import { describe, it, expect } from 'vitest';
import { SseParser, sseMessage, type SseEvent } from '../../src/util/sse.js';

function feed(p: SseParser, chunks: readonly string[]): SseEvent[] {
  return chunks.flatMap((c) => p.push(c));
}

/** Every way of cutting `text` into two pieces, plus byte by byte. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

const STREAM =
  ': priming comment\n' +
  'id: 1\n' +
  'event: message\n' +
  'data: {"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}\n' +
  '\n' +
  'retry: 1000\n' +
  'data: line one\n' +
  'data:line two\n' +
  'data:  leading space kept after the first\n' +
  '\n' +
  'event: custom\r\n' +
  'id: 2\r\n' +
  'data: {"a":"b"}\r\n' +
  '\r\n';

const EXPECTED: SseEvent[] = [
  { id: '1', event: 'message', data: '{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}' },
  // id persists (WHATWG last-event-id), event does not
  { id: '1', data: 'line one\nline two\n leading space kept after the first' },
  { id: '2', event: 'custom', data: '{"a":"b"}' },
];

describe('SseParser', () => {
  it('parses a whole stream', () => {
    expect(feed(new SseParser(1 << 20), [STREAM])).toEqual(EXPECTED);
  });
  it('gives the same events however the stream is chunked', () => {
    for (const chunks of splits(STREAM)) {
      expect(feed(new SseParser(1 << 20), chunks)).toEqual(EXPECTED);
    }
  });
  it('byte by byte with a UTF-8 payload', () => {
    const text = 'data: {"t":"héllo ✓ 😀"}\n\n';
    expect(feed(new SseParser(1024), [...text])).toEqual([{ data: '{"t":"héllo ✓ 😀"}' }]);
  });
  it('CRLF split between chunks', () => {
    expect(feed(new SseParser(1024), ['data: x\r', '\n\r', '\n'])).toEqual([{ data: 'x' }]);
  });
  it('comments and blank lines alone emit nothing', () => {
    expect(feed(new SseParser(1024), [': keepalive\n\n', ':\n\n', '\n\n'])).toEqual([]);
  });
  it('an event without data is not dispatched', () => {
    expect(feed(new SseParser(1024), ['event: ping\nid: 9\n\n', 'data: after\n\n'])).toEqual([{ id: '9', data: 'after' }]);
  });
  it('field without colon and empty data', () => {
    expect(feed(new SseParser(1024), ['data\n\n'])).toEqual([{ data: '' }]);
    expect(feed(new SseParser(1024), ['data:\ndata:\n\n'])).toEqual([{ data: '\n' }]);
  });
  it('unknown fields are ignored', () => {
    expect(feed(new SseParser(1024), ['foo: bar\ndata: x\n\n'])).toEqual([{ data: 'x' }]);
  });
  it('an incomplete event is held until its blank line', () => {
    const p = new SseParser(1024);
    expect(p.push('data: a\n')).toEqual([]);
    expect(p.push('data: b\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ data: 'a\nb' }]);
  });
  it('round-trips sseMessage', () => {
    const json = '{"jsonrpc":"2.0","id":1,"result":{}}';
    expect(feed(new SseParser(1024), [sseMessage(json), sseMessage(json, 'e-7')])).toEqual([
      { event: 'message', data: json },
      { event: 'message', id: 'e-7', data: json },
    ]);
  });
  it('throws when one event exceeds the cap (one chunk)', () => {
    const p = new SseParser(100);
    expect(() => p.push(`data: ${'x'.repeat(200)}\n\n`)).toThrow(/exceeds 100 bytes/);
  });
  it('throws when one event exceeds the cap across many data lines', () => {
    const p = new SseParser(100);
    expect(() => {
      for (let i = 0; i < 20; i++) p.push('data: 0123456789\n');
    }).toThrow(/exceeds 100 bytes/);
  });
  it('throws when an unterminated line grows past the cap byte by byte', () => {
    const p = new SseParser(100);
    expect(() => {
      for (let i = 0; i < 200; i++) p.push('x');
    }).toThrow(/exceeds 100 bytes/);
  });
  it('many small events below the cap never throw when fed one at a time', () => {
    const p = new SseParser(100);
    let n = 0;
    for (let i = 0; i < 1000; i++) n += p.push(`data: ${i}\n\n`).length;
    expect(n).toBe(1000);
  });
  it('one network chunk holding many small events is not an oversize event', () => {
    // Each event is ~20 bytes; the chunk as a whole is larger than the cap.
    const p = new SseParser(100);
    const chunk = Array.from({ length: 50 }, (_, i) => `data: event-${i}\n\n`).join('');
    expect(p.push(chunk)).toHaveLength(50);
  });
});
