import { describe, it, expect } from 'vitest';
import { classify, compilePath, rawResultText, stripPaths, truncate, type Outcome } from '../../src/mirror/diff.js';
import { DIFF_CLASSES } from '../../src/mirror/counters.js';

const result = (value: unknown): Outcome => ({ kind: 'result', value });
const error = (e: unknown = { code: -32603, message: 'boom' }): Outcome => ({ kind: 'error', error: e });
const timeout: Outcome = { kind: 'timeout' };
const notCompared: Outcome = { kind: 'not_compared', reason: 'too large' };
const clone = <T>(v: T): T => structuredClone(v);
const paths = (...p: string[]): ReturnType<typeof compilePath>[] => p.map(compilePath);

describe('classify', () => {
  const r = { content: [{ type: 'text', text: 'hi' }], isError: false };
  it('same', () => {
    expect(classify(result(r), result(clone(r)), [])).toBe('same');
    expect(classify(result(null), result(null), [])).toBe('same');
  });
  it('content_differs', () => {
    expect(classify(result(r), result({ ...clone(r), isError: true }), [])).toBe('content_differs');
    expect(classify(result({ a: 1 }), result({ a: 1, b: 2 }), [])).toBe('content_differs');
    expect(classify(result([1, 2]), result([2, 1]), [])).toBe('content_differs');
    expect(classify(result({ a: 1 }), result({ a: '1' }), [])).toBe('content_differs');
  });
  it('isError results are results, not errors', () => {
    const e = { content: [{ type: 'text', text: 'failed' }], isError: true };
    expect(classify(result(e), result(clone(e)), [])).toBe('same');
  });
  it('canary_error_only', () => {
    expect(classify(result(r), error(), [])).toBe('canary_error_only');
  });
  it('primary_error_only', () => {
    expect(classify(error(), result(r), [])).toBe('primary_error_only');
  });
  it('both_error (even with different errors)', () => {
    expect(classify(error({ code: 1 }), error('transport failed'), [])).toBe('both_error');
  });
  it('canary_timeout wins over everything', () => {
    for (const p of [result(r), error(), timeout, notCompared]) expect(classify(p, timeout, [])).toBe('canary_timeout');
  });
  it('not_compared', () => {
    expect(classify(notCompared, result(r), [])).toBe('not_compared');
    expect(classify(result(r), notCompared, [])).toBe('not_compared');
    expect(classify(timeout, result(r), [])).toBe('not_compared');
    expect(classify(timeout, error(), [])).toBe('not_compared');
    expect(classify(notCompared, error(), [])).toBe('not_compared');
  });
  it('covers every diff class', () => {
    const seen = new Set([
      classify(result(1), result(1), []),
      classify(result(1), result(2), []),
      classify(result(1), error(), []),
      classify(error(), result(1), []),
      classify(error(), error(), []),
      classify(result(1), timeout, []),
      classify(notCompared, result(1), []),
    ]);
    expect([...seen].sort()).toEqual([...DIFF_CLASSES].sort());
  });
});

describe('ignore paths', () => {
  it('$.structuredContent.at', () => {
    const a = { structuredContent: { at: '2026-01-01T00:00:00Z', v: 1 }, content: [] };
    const b = { structuredContent: { at: '2026-01-02T00:00:00Z', v: 1 }, content: [] };
    expect(classify(result(clone(a)), result(clone(b)), [])).toBe('content_differs');
    expect(classify(result(clone(a)), result(clone(b)), paths('$.structuredContent.at'))).toBe('same');
    const c = { structuredContent: { at: 'x', v: 2 }, content: [] };
    expect(classify(result(clone(a)), result(c), paths('$.structuredContent.at'))).toBe('content_differs');
  });
  it('$.content[*].text removes text from every element, but not other fields', () => {
    const a = { content: [{ type: 'text', text: 'req 1' }, { type: 'text', text: 'ts 5' }] };
    const b = { content: [{ type: 'text', text: 'req 2' }, { type: 'text', text: 'ts 6' }] };
    expect(classify(result(a), result(b), paths('$.content[*].text'))).toBe('same');
    const c = { content: [{ type: 'image', text: 'x' }, { type: 'text', text: 'y' }] };
    expect(classify(result(clone(b)), result(c), paths('$.content[*].text'))).toBe('content_differs');
    const d = { content: [{ type: 'text', text: 'q' }] };
    expect(classify(result(clone(b)), result(d), paths('$.content[*].text'))).toBe('content_differs');
  });
  it('$.a[0].b touches index 0 only', () => {
    const p = paths('$.a[0].b');
    expect(classify(result({ a: [{ b: 1, c: 1 }, { b: 1 }] }), result({ a: [{ b: 2, c: 1 }, { b: 1 }] }), p)).toBe('same');
    expect(classify(result({ a: [{ b: 1 }, { b: 1 }] }), result({ a: [{ b: 1 }, { b: 2 }] }), p)).toBe('content_differs');
  });
  it('$["weird key"]', () => {
    const p = paths('$["weird key"]', '$.x["a.b"][1]');
    expect(classify(result({ 'weird key': 1, k: 0, x: { 'a.b': [0, 1] } }), result({ 'weird key': 2, k: 0, x: { 'a.b': [0, 9] } }), p)).toBe('same');
    expect(classify(result({ 'weird key': 1, k: 0 }), result({ 'weird key': 1, k: 1 }), p)).toBe('content_differs');
  });
  it('$.obj[*] on an object removes every value', () => {
    expect(classify(result({ o: { a: 1, b: 2 }, k: 1 }), result({ o: { c: 3 }, k: 1 }), paths('$.o[*]'))).toBe('same');
  });
  it('missing paths and wrong types are ignored', () => {
    const p = paths('$.structuredContent.at', '$.content[*].text', '$.a[3].b', '$.s.t');
    expect(classify(result({ s: 'string', a: 'no array' }), result({ s: 'string', a: 'no array' }), p)).toBe('same');
    expect(classify(result(5), result(5), p)).toBe('same');
    expect(classify(result(null), result(null), p)).toBe('same');
  });
  it('an index path does not match an object key "0"', () => {
    expect(classify(result({ a: { '0': { b: 1 } } }), result({ a: { '0': { b: 2 } } }), paths('$.a[0].b'))).toBe('content_differs');
  });
  it('ignore paths do not hide error-vs-result differences', () => {
    expect(classify(result({ at: 1 }), error(), paths('$.at'))).toBe('canary_error_only');
  });
  it('stripPaths returns the value without the paths', () => {
    expect(stripPaths({ a: 1, b: { c: 2, d: 3 } }, paths('$.b.c', '$.a'))).toEqual({ b: { d: 3 } });
  });
});

describe('compilePath', () => {
  it('compiles the supported forms', () => {
    expect(compilePath('$.structuredContent.at')).toEqual([{ key: 'structuredContent' }, { key: 'at' }]);
    expect(compilePath('$.content[*].text')).toEqual([{ key: 'content' }, { any: true }, { key: 'text' }]);
    expect(compilePath('$.a[0].b')).toEqual([{ key: 'a' }, { index: 0 }, { key: 'b' }]);
    expect(compilePath('$["weird key"]')).toEqual([{ key: 'weird key' }]);
    expect(compilePath('$.a-b.$c._d')).toEqual([{ key: 'a-b' }, { key: '$c' }, { key: '_d' }]);
    expect(compilePath('$[12]')).toEqual([{ index: 12 }]);
  });
  it.each([
    ['no $', 'structuredContent.at', /must start with "\$"/],
    ['whole result', '$', /selects the whole result/],
    ['recursive descent', '$..at', /cannot parse/],
    ['trailing dot', '$.a.', /cannot parse/],
    ['key starting with a digit', '$.0', /cannot parse/],
    ['non-numeric index', '$.a[x]', /cannot parse/],
    ['negative index', '$.a[-1]', /cannot parse/],
    ['single quotes', "$['a']", /cannot parse/],
    ['unclosed bracket', '$.a[0', /cannot parse/],
    ['empty quoted key', '$[""]', /cannot parse/],
    ['filter', '$.a[?(@.x)]', /cannot parse/],
    ['space', '$.a b', /cannot parse/],
  ])('rejects %s: %s', (_label, path, message) => {
    expect(() => compilePath(path)).toThrow(message);
  });
  it('error messages name the path', () => {
    expect(() => compilePath('$.a[x]')).toThrow('ignore path "$.a[x]"');
  });
});

describe('truncate', () => {
  it('leaves short values alone', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate({ a: 1 }, 100)).toBe('{"a":1}');
    expect(truncate(5, 10)).toBe('5');
    expect(truncate(null, 10)).toBe('null');
    expect(truncate(undefined, 10)).toBe('undefined');
  });
  it('cuts long values and says how long they were', () => {
    expect(truncate('abcdef', 3)).toBe('abc… (6 chars)');
    const obj = { text: 'x'.repeat(100) };
    const s = JSON.stringify(obj);
    expect(truncate(obj, 10)).toBe(`${s.slice(0, 10)}… (${s.length} chars)`);
  });
  it('max 0', () => {
    expect(truncate('ab', 0)).toBe('… (2 chars)');
    expect(truncate('', 0)).toBe('');
  });
});

describe('rawResultText (the no-parse fast path for identical answers)', () => {
  const result = '{"content":[{"type":"text","text":"hi \\"there\\""}],"structuredContent":{"id":1}}';
  it('reads the result of both layouts servers write, whatever the id', () => {
    expect(rawResultText(`{"result":${result},"jsonrpc":"2.0","id":17}`)).toBe(result);
    expect(rawResultText(`{"result":${result},"jsonrpc":"2.0","id":"a-b"}`)).toBe(result);
    expect(rawResultText(`{"jsonrpc":"2.0","id":4,"result":${result}}`)).toBe(result);
    expect(rawResultText(`{"jsonrpc":"2.0","id":"req-9","result":${result}}`)).toBe(result);
    expect(rawResultText(`{"jsonrpc":"2.0","id":-3,"result":${result}}`)).toBe(result);
    expect(JSON.parse(rawResultText(`{"jsonrpc":"2.0","id":123456,"result":${result}}`)!)).toEqual(JSON.parse(result));
  });
  it('answers undefined (parse and compare) for anything else', () => {
    expect(rawResultText(`{"jsonrpc":"2.0","id":4,"error":{"code":1,"message":"x"}}`)).toBeUndefined();
    expect(rawResultText(`{"jsonrpc":"2.0","id":"a\\"b","result":${result}}`)).toBeUndefined();
    expect(rawResultText(`{ "jsonrpc": "2.0", "id": 4, "result": ${result} }`)).toBeUndefined();
    expect(rawResultText(`{"result":${result}}`)).toBeUndefined();
    expect(rawResultText('{"jsonrpc":"2.0","id":,"result":1}')).toBeUndefined();
  });
});
