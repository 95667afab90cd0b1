import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { ERRORS, JSONRPC, RelayError, BackendRpcError, toRpcError, type ErrorCode } from '../src/errors.js';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

interface Row {
  code: string;
  rpc: number;
  http: number;
  meaning: string;
  action: string;
}

/** Rows of the catalogue table: lines starting with | `CODE` |. */
function rows(): Row[] {
  return doc
    .split('\n')
    .filter((l) => /^\|\s*`[A-Z_]+`\s*\|/.test(l))
    .map((l) => {
      const cells = l.split('|').slice(1, -1).map((c) => c.trim());
      return {
        code: cells[0]!.replace(/`/g, ''),
        rpc: Number(cells[1]),
        http: Number(cells[2]),
        meaning: cells[3] ?? '',
        action: cells[4] ?? '',
      };
    });
}

const STANDARD = new Set<number>(Object.values(JSONRPC));
const codes = Object.keys(ERRORS) as ErrorCode[];

describe('docs/errors.md', () => {
  const table = rows();

  it('has a table row for every code in ERRORS', () => {
    const documented = new Set(table.map((r) => r.code));
    expect(codes.filter((c) => !documented.has(c))).toEqual([]);
  });
  it('lists no code that does not exist', () => {
    expect(table.map((r) => r.code).filter((c) => !(c in ERRORS))).toEqual([]);
  });
  it('lists each code once', () => {
    const seen = table.map((r) => r.code);
    expect(seen.length).toBe(new Set(seen).size);
  });
  it('shows the same JSON-RPC code and HTTP status as src/errors.ts', () => {
    for (const r of table) {
      const spec = ERRORS[r.code as ErrorCode];
      expect({ code: r.code, rpc: r.rpc, http: r.http }).toEqual({ code: r.code, rpc: spec.rpc, http: spec.http });
    }
  });
  it('says what each error means and what to do', () => {
    for (const r of table) {
      expect(r.meaning.length, r.code).toBeGreaterThan(10);
      expect(r.action.length, r.code).toBeGreaterThan(3);
    }
  });
  it('does not mention codes that do not exist anywhere else in the text', () => {
    const notCodes = new Set(['ERRORS']); // the name of the table in src/errors.ts
    const mentioned = [...doc.matchAll(/`([A-Z][A-Z_]{3,})`/g)].map((m) => m[1]!).filter((c) => !notCodes.has(c));
    expect(mentioned.filter((c) => !(c in ERRORS))).toEqual([]);
  });
});

describe('ERRORS', () => {
  it('gateway codes are in -32000..-32019, the rest are standard JSON-RPC codes', () => {
    for (const code of codes) {
      const { rpc } = ERRORS[code];
      const ok = STANDARD.has(rpc) || (rpc <= -32000 && rpc >= -32019);
      expect(ok, `${code}: ${rpc}`).toBe(true);
    }
  });
  it('gateway codes other than SESSION_NOT_FOUND are unique', () => {
    const gateway = codes.filter((c) => !STANDARD.has(ERRORS[c].rpc));
    const rpcs = gateway.map((c) => ERRORS[c].rpc);
    expect(rpcs.length).toBe(new Set(rpcs).size);
  });
  it('HTTP statuses are 200 or a 4xx/5xx', () => {
    for (const code of codes) {
      const { http } = ERRORS[code];
      expect(http === 200 || (http >= 400 && http <= 599), code).toBe(true);
    }
  });
  it('RelayError maps to the wire with data.code', () => {
    const e = new RelayError('UNKNOWN_TOOL', 'Unknown tool: x', { name: 'x' });
    expect(e.rpcCode).toBe(-32602);
    expect(e.httpStatus).toBe(200);
    expect(toRpcError(e)).toEqual({ code: -32602, message: 'Unknown tool: x', data: { code: 'UNKNOWN_TOOL', name: 'x' } });
    expect(new RelayError('SESSION_NOT_FOUND').message).toBe(ERRORS.SESSION_NOT_FOUND.summary);
  });
  it('backend errors are relayed unchanged and unknown throws become INTERNAL', () => {
    const backend = { code: -32042, message: 'custom', data: { x: 1 } };
    expect(toRpcError(new BackendRpcError(backend))).toBe(backend);
    expect(toRpcError(new Error('oops'))).toEqual({ code: -32603, message: 'mcp-relay internal error: oops', data: { code: 'INTERNAL' } });
    expect(toRpcError('str')).toMatchObject({ code: -32603, data: { code: 'INTERNAL' } });
  });
});
