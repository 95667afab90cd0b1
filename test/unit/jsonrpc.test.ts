import { describe, it, expect } from 'vitest';
import {
  classify,
  errorText,
  idJson,
  notificationText,
  progressTokenOf,
  requestText,
  resultText,
  swapId,
} from '../../src/util/jsonrpc.js';
import { RelayError } from '../../src/errors.js';

function invalid(msg: unknown): RelayError {
  try {
    classify(msg);
  } catch (err) {
    expect(err).toBeInstanceOf(RelayError);
    expect((err as RelayError).code).toBe('INVALID_REQUEST');
    expect((err as RelayError).rpcCode).toBe(-32600);
    return err as RelayError;
  }
  throw new Error(`classify accepted ${JSON.stringify(msg)}`);
}

describe('classify', () => {
  it('request, notification, response', () => {
    expect(classify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })).toBe('request');
    expect(classify({ jsonrpc: '2.0', id: 'a', method: 'tools/call', params: { name: 'x' } })).toBe('request');
    expect(classify({ jsonrpc: '2.0', id: 0, method: 'ping' })).toBe('request');
    expect(classify({ jsonrpc: '2.0', id: '', method: 'ping' })).toBe('request');
    expect(classify({ jsonrpc: '2.0', id: -1.5, method: 'ping' })).toBe('request');
    expect(classify({ jsonrpc: '2.0', method: 'notifications/initialized' })).toBe('notification');
    expect(classify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } })).toBe('notification');
    expect(classify({ jsonrpc: '2.0', id: 3, result: {} })).toBe('response');
    expect(classify({ jsonrpc: '2.0', id: 'x', result: null })).toBe('response');
    expect(classify({ jsonrpc: '2.0', id: 3, error: { code: -1, message: 'no' } })).toBe('response');
  });
  it('rejects a wrong or missing jsonrpc version', () => {
    expect(invalid({ jsonrpc: '1.0', id: 1, method: 'ping' }).message).toContain('"jsonrpc" must be "2.0"');
    invalid({ jsonrpc: 2.0, id: 1, method: 'ping' });
    invalid({ id: 1, method: 'ping' });
  });
  it('rejects non-objects', () => {
    for (const m of [null, 1, 'x', [], [{ jsonrpc: '2.0', id: 1, method: 'ping' }], undefined]) {
      expect(invalid(m).message).toContain('must be a JSON object');
    }
  });
  it('rejects null, boolean, object and non-finite ids', () => {
    for (const id of [null, true, {}, [1], Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(invalid({ jsonrpc: '2.0', id, method: 'ping' }).message).toContain('"id" must be a string or a number');
    }
    invalid({ jsonrpc: '2.0', id: null, result: {} });
  });
  it('rejects array and scalar params', () => {
    for (const params of [[1, 2], [], null, 'x', 3]) {
      expect(invalid({ jsonrpc: '2.0', id: 1, method: 'tools/call', params }).message).toContain('"params" must be an object');
      invalid({ jsonrpc: '2.0', method: 'notifications/x', params });
    }
  });
  it('rejects messages that are neither', () => {
    invalid({ jsonrpc: '2.0', id: 1 });
    invalid({ jsonrpc: '2.0', result: {} });
    invalid({ jsonrpc: '2.0' });
    invalid({ jsonrpc: '2.0', id: 1, method: 5 });
  });
});

describe('text builders', () => {
  it('produce valid JSON', () => {
    expect(JSON.parse(resultText('7', { a: [1] }))).toEqual({ jsonrpc: '2.0', id: 7, result: { a: [1] } });
    expect(JSON.parse(errorText(idJson('x"y'), { code: -32601, message: 'm' }))).toEqual({ jsonrpc: '2.0', id: 'x"y', error: { code: -32601, message: 'm' } });
    expect(JSON.parse(notificationText('n', undefined))).toEqual({ jsonrpc: '2.0', method: 'n' });
    expect(JSON.parse(notificationText('n', { p: 1 }))).toEqual({ jsonrpc: '2.0', method: 'n', params: { p: 1 } });
    expect(JSON.parse(requestText('"~r1"', 'ping', undefined))).toEqual({ jsonrpc: '2.0', id: '~r1', method: 'ping' });
    expect(JSON.parse(requestText('1', 'm', { x: '"' }))).toEqual({ jsonrpc: '2.0', id: 1, method: 'm', params: { x: '"' } });
  });
  it('idJson', () => {
    expect(idJson(5)).toBe('5');
    expect(idJson('5')).toBe('"5"');
    expect(idJson(null)).toBe('null');
    expect(idJson(undefined)).toBe('null');
    expect(idJson('a"b\\c')).toBe(JSON.stringify('a"b\\c'));
  });
});

describe('swapId', () => {
  const BACKEND = '"~r42"';
  const result = { content: [{ type: 'text', text: 'hello' }], isError: false };
  /** Serialises in a given key order. */
  const sdkOrder = (r: unknown, id = '~r42'): string => JSON.stringify({ result: r, jsonrpc: '2.0', id });
  const pyOrder = (r: unknown, id = '~r42'): string => JSON.stringify({ jsonrpc: '2.0', id, result: r });

  /** Output parses, has the client id and is otherwise identical to the input. */
  function check(raw: string, clientId: string | number): string {
    const out = swapId(raw, BACKEND, idJson(clientId));
    const parsed = JSON.parse(out) as Record<string, unknown>;
    const original = JSON.parse(raw) as Record<string, unknown>;
    expect(parsed.id).toBe(clientId);
    expect({ ...parsed, id: null }).toEqual({ ...original, id: null });
    return out;
  }

  it('SDK order (id last): swaps in place without re-serialising', () => {
    const raw = sdkOrder(result);
    const out = check(raw, 7);
    expect(out).toBe(raw.replace('"id":"~r42"}', '"id":7}'));
  });
  it('Python order (id near the start): swaps in place', () => {
    const raw = pyOrder(result);
    const out = check(raw, 'client-1');
    expect(out).toBe(raw.replace('"id":"~r42"', '"id":"client-1"'));
  });
  it('id first', () => {
    check(JSON.stringify({ id: '~r42', jsonrpc: '2.0', result }), 9);
  });
  it('error responses', () => {
    check(JSON.stringify({ jsonrpc: '2.0', id: '~r42', error: { code: -32602, message: 'bad' } }), 1);
    check(JSON.stringify({ error: { code: -32602, message: 'bad' }, jsonrpc: '2.0', id: '~r42' }), 1);
  });
  it.each([
    ['numeric', 123456789],
    ['zero', 0],
    ['negative', -5],
    ['string', 'abc'],
    ['empty string', ''],
    ['quotes and backslashes', 'a"b\\"c'],
    ['unicode', 'idé-✓'],
    ['looks like a backend id', '~r43'],
  ])('client id: %s', (_label, id) => {
    check(sdkOrder(result), id);
    check(pyOrder(result), id);
    check(JSON.stringify({ jsonrpc: '2.0', result, id: '~r42', extra: 1 }), id);
  });
  it('fallback: whitespace between tokens (Python json.dumps default)', () => {
    const raw = '{"jsonrpc": "2.0", "id": "~r42", "result": {"content": []}}';
    const out = swapId(raw, BACKEND, '5');
    expect(JSON.parse(out)).toEqual({ jsonrpc: '2.0', id: 5, result: { content: [] } });
  });
  it('fallback: id after a long result, not at the end', () => {
    const long = { content: [{ type: 'text', text: 'x'.repeat(200) }] };
    check(JSON.stringify({ jsonrpc: '2.0', result: long, id: '~r42', trailer: true }), 'c');
  });
  it('the id token inside result text is not touched', () => {
    const tricky = { content: [{ type: 'text', text: '{"id":"~r42"} and "id":"~r42" and \\"id\\":\\"~r42\\"' }] };
    for (const raw of [sdkOrder(tricky), pyOrder(tricky), JSON.stringify({ jsonrpc: '2.0', result: tricky, id: '~r42', z: 0 })]) {
      const out = check(raw, 77);
      expect((JSON.parse(out) as { result: unknown }).result).toEqual(tricky);
    }
  });
  it('a nested object with the same id in structuredContent is not touched (SDK and Python order)', () => {
    const nested = { structuredContent: { id: '~r42' }, content: [] };
    for (const raw of [sdkOrder(nested), pyOrder(nested), JSON.stringify({ jsonrpc: '2.0', result: nested, id: '~r42', z: 0 })]) {
      const out = check(raw, 'client');
      expect((JSON.parse(out) as { result: unknown }).result).toEqual(nested);
    }
  });
  it('a nested id within the first 40 characters, top-level id not last, is not touched', () => {
    // Key order result, id, jsonrpc: the nested token comes first, the real id is not at the end.
    const raw = '{"result":{"id":"~r42"},"id":"~r42","jsonrpc":"2.0"}';
    const out = check(raw, 1);
    expect((JSON.parse(out) as { result: unknown }).result).toEqual({ id: '~r42' });
  });
  it('a result that ends with a nested id does not match the tail fast path', () => {
    const raw = '{"jsonrpc":"2.0","id":"~r42","result":{"x":{"id":"~r42"}}}';
    const out = check(raw, 3);
    expect(out).toBe('{"jsonrpc":"2.0","id":3,"result":{"x":{"id":"~r42"}}}');
  });
  it('does not confuse ~r4 with ~r42', () => {
    const raw = pyOrder(result, '~r42');
    const out = swapId(raw, '"~r4"', '1');
    // "~r4" is not the id: the fallback must set the id anyway (it is the only id).
    expect((JSON.parse(out) as { id: unknown }).id).toBe(1);
  });
});

describe('progressTokenOf', () => {
  it('reads string and number tokens', () => {
    expect(progressTokenOf({ _meta: { progressToken: 'tok' } })).toBe('tok');
    expect(progressTokenOf({ _meta: { progressToken: 0 } })).toBe(0);
    expect(progressTokenOf({ name: 'x', _meta: { progressToken: 12 } })).toBe(12);
  });
  it('is undefined otherwise', () => {
    expect(progressTokenOf(undefined)).toBeUndefined();
    expect(progressTokenOf({})).toBeUndefined();
    expect(progressTokenOf({ _meta: null })).toBeUndefined();
    expect(progressTokenOf({ _meta: 'x' })).toBeUndefined();
    expect(progressTokenOf({ _meta: {} })).toBeUndefined();
    expect(progressTokenOf({ _meta: { progressToken: null } })).toBeUndefined();
    expect(progressTokenOf({ _meta: { progressToken: { a: 1 } } })).toBeUndefined();
    expect(progressTokenOf({ _meta: { progressToken: true } })).toBeUndefined();
    expect(progressTokenOf({ progressToken: 'top-level is not it' })).toBeUndefined();
  });
});
