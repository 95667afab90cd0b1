/**
 * The Backend contract: one suite, run against every connector (stdio, http).
 * Each connector is driven directly (no proxy) against the bundled demo server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResult, type Backend, type BackendHooks } from '../../src/backends/backend.js';
import { BackendRpcError, RelayError } from '../../src/errors.js';
import type { JsonRpcNotification } from '../../src/util/jsonrpc.js';
import { silentLogger } from '../../src/util/log.js';

export interface ContractTarget {
  /** Builds a connector to a healthy demo server. */
  make(hooks: BackendHooks): Promise<Backend>;
  /** Builds a connector whose peer cannot be reached. */
  makeBroken(): Backend;
  teardown?(): Promise<void>;
}

export const common = { clientName: 'contract', clientVersion: '1', clientCapabilities: {}, maxMessageBytes: 1 << 20, timeoutMs: 5_000, log: silentLogger(), restart: false };

export function runBackendContract(label: string, target: ContractTarget): void {
  describe(`Backend contract: ${label}`, () => {
    let backend: Backend;
    const notes: JsonRpcNotification[] = [];
    beforeAll(async () => {
      backend = await target.make({ onNotification: (_b, msg) => void notes.push(msg) });
      await backend.start();
    });
    afterAll(async () => {
      await backend?.close();
      await target.teardown?.();
    });

    it('connects and completes the MCP handshake', () => {
      expect(backend.state).toBe('ready');
      expect(backend.info?.protocolVersion).toBe('2025-11-25');
      expect(backend.info?.capabilities.tools).toBeDefined();
    });

    it('answers a request with the raw response carrying the id it minted', async () => {
      const reply = await backend.request('tools/call', { name: 'add', arguments: { a: 2, b: 3 } }, { timeoutMs: 5_000 });
      expect(JSON.parse(reply.raw).id).toBe(JSON.parse(reply.idText));
      expect(reply.idText).toMatch(/^"~r[0-9a-z]+"$/);
      expect(parseResult(reply).structuredContent).toEqual({ sum: 5 });
    });

    it('keeps concurrent requests apart', async () => {
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => backend.request('tools/call', { name: 'add', arguments: { a: i, b: 0 } }, { timeoutMs: 5_000 })));
      replies.forEach((r, i) => expect(parseResult(r).structuredContent).toEqual({ sum: i }));
      expect(new Set(replies.map((r) => r.idText)).size).toBe(50);
    });

    it('surfaces backend JSON-RPC errors unchanged', async () => {
      const reply = await backend.request('tools/call', { name: 'fail', arguments: {} }, { timeoutMs: 5_000 });
      let err: unknown;
      try {
        parseResult(reply);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(BackendRpcError);
      expect((err as BackendRpcError).error).toMatchObject({ code: -32099, message: 'demo failure', data: { reason: 'requested' } });
    });

    it('remaps progress tokens and delivers progress for the request', async () => {
      const seen: Record<string, unknown>[] = [];
      const reply = await backend.request('tools/call', { name: 'slow', arguments: { ms: 30, steps: 3 }, _meta: { progressToken: 'client-token' } }, { timeoutMs: 5_000, onProgress: (p) => void seen.push(p) });
      expect(parseResult(reply).content).toEqual([{ type: 'text', text: 'done' }]);
      expect(seen.map((p) => p.progress)).toEqual([1, 2, 3]);
      expect(seen.every((p) => typeof p.progressToken === 'string' && p.progressToken !== 'client-token')).toBe(true);
    });

    it('times out with BACKEND_TIMEOUT', async () => {
      const err = await backend.request('tools/call', { name: 'hang', arguments: {} }, { timeoutMs: 200 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RelayError);
      expect((err as RelayError).code).toBe('BACKEND_TIMEOUT');
    });

    it('cancels through the ticket with REQUEST_CANCELLED and keeps working', async () => {
      const ticket: { cancel?: (r: string) => void } = {};
      const pending = backend.request('tools/call', { name: 'hang', arguments: {} }, { timeoutMs: 10_000, ticket });
      await new Promise((r) => setTimeout(r, 50));
      ticket.cancel!('test');
      const err = await pending.catch((e: unknown) => e);
      expect((err as RelayError).code).toBe('REQUEST_CANCELLED');
      const ok = await backend.request('tools/call', { name: 'add', arguments: { a: 1, b: 1 } }, { timeoutMs: 5_000 });
      expect(parseResult(ok).structuredContent).toEqual({ sum: 2 });
    });

    it('passes unsolicited notifications (list_changed) to the hook', async () => {
      await backend.request('tools/call', { name: 'add_tool', arguments: { name: `t${Date.now()}` } }, { timeoutMs: 5_000 });
      const deadline = Date.now() + 5_000;
      while (!notes.some((n) => n.method === 'notifications/tools/list_changed') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(notes.map((n) => n.method)).toContain('notifications/tools/list_changed');
    });

    it('refuses requests after close with BACKEND_UNAVAILABLE', async () => {
      const other = await target.make({});
      await other.start();
      await other.close();
      expect(other.state).toBe('closed');
      const err = await other.request('ping', undefined, { timeoutMs: 1_000 }).catch((e: unknown) => e);
      expect((err as RelayError).code).toBe('BACKEND_UNAVAILABLE');
    });

    it('reports a peer it cannot reach as down, with the reason, and fails fast', async () => {
      const broken = target.makeBroken();
      await broken.start();
      expect(broken.state).toBe('down');
      expect(broken.lastError).toBeTruthy();
      const err = await broken.request('ping', undefined, { timeoutMs: 1_000 }).catch((e: unknown) => e);
      expect((err as RelayError).code).toBe('BACKEND_UNAVAILABLE');
      await broken.close();
    });
  });
}
