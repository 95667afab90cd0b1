/**
 * Shadow diff (pure): classify a canary answer against the primary's.
 * "Error" means a JSON-RPC error or a transport failure; a tool result with
 * isError: true is a result and is compared like any other. Volatile fields
 * are removed before comparing with JSON paths relative to the result:
 * `$.structuredContent.at`, `$.content[*].text`, `$.items[0].id`.
 */
import { isDeepStrictEqual } from 'node:util';
import type { DiffClass } from './counters.js';

export type Outcome =
  | { kind: 'result'; value: unknown }
  | { kind: 'error'; error: unknown }
  | { kind: 'timeout' }
  | { kind: 'not_compared'; reason: string };

type Segment = { key: string } | { index: number } | { any: true };

export function compilePath(path: string): Segment[] {
  if (!path.startsWith('$')) throw new Error(`ignore path "${path}" must start with "$"`);
  const segs: Segment[] = [];
  const re = /\.([A-Za-z_$][\w$-]*)|\[(\*|\d+)\]|\["([^"]+)"\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const at = re.lastIndex;
    const m = re.exec(path);
    if (!m) throw new Error(`ignore path "${path}": cannot parse at "${path.slice(at)}" (use .key, [n], [*] or ["key"])`);
    if (m[1] !== undefined) segs.push({ key: m[1] });
    else if (m[2] === '*') segs.push({ any: true });
    else if (m[2] !== undefined) segs.push({ index: Number(m[2]) });
    else segs.push({ key: m[3]! });
  }
  if (!segs.length) throw new Error(`ignore path "${path}" selects the whole result`);
  return segs;
}

function remove(value: unknown, segs: Segment[], i: number): void {
  if (typeof value !== 'object' || value === null) return;
  const seg = segs[i]!;
  const last = i === segs.length - 1;
  const visit = (container: Record<string | number, unknown>, key: string | number): void => {
    if (!(key in container)) return;
    if (last) delete container[key];
    else remove(container[key], segs, i + 1);
  };
  const obj = value as Record<string | number, unknown>;
  if ('any' in seg) {
    for (const k of Array.isArray(value) ? value.keys() : Object.keys(obj)) visit(obj, k);
  } else if ('index' in seg) {
    if (Array.isArray(value)) visit(obj, seg.index);
  } else visit(obj, seg.key);
}

export function stripPaths(value: unknown, paths: readonly Segment[][]): unknown {
  for (const p of paths) remove(value, p, 0);
  return value;
}

export function classify(primary: Outcome, canary: Outcome, ignore: readonly Segment[][]): DiffClass {
  if (canary.kind === 'timeout') return 'canary_timeout';
  if (primary.kind === 'not_compared' || canary.kind === 'not_compared' || primary.kind === 'timeout') return 'not_compared';
  const pErr = primary.kind === 'error';
  const cErr = canary.kind === 'error';
  if (pErr && cErr) return 'both_error';
  if (cErr) return 'canary_error_only';
  if (pErr) return 'primary_error_only';
  const a = stripPaths(primary.value, ignore);
  const b = stripPaths(canary.value, ignore);
  return isDeepStrictEqual(a, b) ? 'same' : 'content_differs';
}

export function truncate(value: unknown, max: number): string {
  const s = typeof value === 'string' ? value : JSON.stringify(value) ?? 'undefined';
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length} chars)`;
}

const SDK_TAIL = ',"jsonrpc":"2.0","id":';
const CANONICAL_HEAD = '{"jsonrpc":"2.0","id":';

/**
 * The text of a raw JSON-RPC response's result, when the response is in one of the two
 * layouts servers actually write: the TypeScript SDK's `{"result":…,"jsonrpc":"2.0","id":…}`
 * or `{"jsonrpc":"2.0","id":<id>,"result":…}`. Two equal texts are the same result with
 * no parsing; undefined means "parse and compare".
 */
export function rawResultText(raw: string): string | undefined {
  if (raw.startsWith('{"result":')) {
    const end = raw.lastIndexOf(SDK_TAIL);
    return end > 10 ? raw.slice(10, end) : undefined;
  }
  if (!raw.startsWith(CANONICAL_HEAD) || !raw.endsWith('}')) return undefined;
  // the id: a number, or a string without escapes
  const start = CANONICAL_HEAD.length;
  let i = start;
  if (raw.charCodeAt(i) === 34) {
    const close = raw.indexOf('"', i + 1);
    if (close < 0 || raw.lastIndexOf('\\', close) > i) return undefined;
    i = close + 1;
  } else while (i < raw.length && ((raw.charCodeAt(i) >= 48 && raw.charCodeAt(i) <= 57) || raw.charCodeAt(i) === 45)) i++;
  return i > start && raw.startsWith(',"result":', i) ? raw.slice(i + 10, -1) : undefined;
}
