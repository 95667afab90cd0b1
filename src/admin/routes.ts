/**
 * Read-only admin surface on the proxy's port:
 *   GET /admin/health    per-backend status; always open (no config, no secrets);
 *                        200 while at least one primary backend is ready, else 503
 *   GET /admin/backends  names, transports, states, counts (never URLs, commands, env or tokens)
 *   GET /admin/mirror    mirror counters, per-tool diff counts, latency, recent differing samples
 *   GET /admin/metrics   Prometheus text
 * Everything but /admin/health needs `Authorization: Bearer <security.admin_token>`
 * when a token is configured, and is served to loopback peers only when it is not
 * (mirror samples contain real request arguments). Nothing here changes state.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import type { Backend } from '../backends/backend.js';
import type { Catalog } from '../catalog/catalog.js';
import { RelayError, toRpcError } from '../errors.js';
import type { MirrorEngine } from '../mirror/engine.js';
import { STATE_SLOTS, type CounterName } from '../mirror/counters.js';
import type { SessionStore } from '../server/session.js';

export interface AdminDeps {
  primaries: readonly Backend[];
  catalog: Catalog;
  sessions: SessionStore;
  mirror: MirrorEngine | null;
  /** Created on first use. */
  metrics: () => Registry;
  adminToken: string | undefined;
  startedAt: number;
}

export function createAdminHandler(deps: AdminDeps): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  return (req, res, path) => {
    try {
      if (req.method !== 'GET') throw new RelayError('METHOD_NOT_ALLOWED', 'The admin API is read-only (GET)');
      if (path === '/admin/health') {
        const h = health(deps);
        return json(res, h.body, h.status);
      }
      authorize(req, deps.adminToken);
      if (path === '/admin/backends') return json(res, { backends: deps.primaries.map((b) => describe(b, deps.catalog)), sessions: deps.sessions.size });
      if (path === '/admin/mirror') return json(res, mirrorReport(deps.mirror));
      if (path === '/admin/metrics') {
        const registry = deps.metrics();
        void registry.metrics().then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        });
        return;
      }
      throw new RelayError('NOT_FOUND', `No admin endpoint ${path}`);
    } catch (err) {
      const status = err instanceof RelayError ? err.httpStatus : 500;
      json(res, { error: toRpcError(err) }, status);
    }
  };
}

function health(deps: AdminDeps): { status: number; body: unknown } {
  // Open to everyone: status only. Errors can name internal addresses; they are in /admin/backends.
  const backends = deps.primaries.map((b) => ({ name: b.name, transport: b.transport, status: b.state }));
  const ready = backends.filter((b) => b.status === 'ready').length;
  const status = ready === backends.length ? 'ok' : ready > 0 ? 'degraded' : 'down';
  return { status: ready > 0 ? 200 : 503, body: { status, uptime_seconds: Math.round((Date.now() - deps.startedAt) / 1000), backends } };
}

function describe(b: Backend, catalog: Catalog): Record<string, unknown> {
  return {
    name: b.name,
    transport: b.transport,
    status: b.state,
    server: b.info?.serverInfo,
    protocol_version: b.info?.protocolVersion,
    capabilities: b.info ? Object.keys(b.info.capabilities) : [],
    counts: catalog.counts(b.name),
    requests: b.requests,
    connects: b.connects,
    failed_starts: b.failures,
    timeout_ms: b.timeoutMs,
    ...(b.lastError ? { last_error: b.lastError } : {}),
  };
}

function mirrorReport(mirror: MirrorEngine | null): unknown {
  if (!mirror) return { enabled: false, mirrors: [] };
  const s = mirror.settings;
  return {
    enabled: true,
    settings: { queue_size: s.queue_size, threads: s.threads, concurrency: s.concurrency, timeout_ms: s.timeout_ms, max_result_bytes: s.max_result_bytes, ignore_paths: s.ignore_paths },
    queue: { depth: mirror.waiting, capacity: s.queue_size, in_flight: mirror.inFlight },
    mirrors: mirror.links.map((l) => {
      const counters: Partial<Record<CounterName, number>> = mirror.counters.snapshot(l.index);
      for (const k of STATE_SLOTS) delete counters[k];
      return {
        mirror: l.mirror,
        source: l.source,
        canary_up: mirror.counters.canaryUp(l.index),
        percent: l.percent,
        read_only: l.readOnly,
        tools: l.tools ? [...l.tools] : null,
        counters,
        latency: { canary: mirror.stats.latency(l.index, 'canary'), primary: mirror.stats.latency(l.index, 'primary') },
        per_tool: mirror.stats.perTool(l.index),
      };
    }),
    samples: mirror.stats.samples(),
  };
}

function authorize(req: IncomingMessage, token: string | undefined): void {
  if (token === undefined) {
    const ip = req.socket.remoteAddress ?? '';
    if (ip === '127.0.0.1' || ip === '::1' || ip.startsWith('127.') || ip === '::ffff:127.0.0.1') return;
    throw new RelayError('UNAUTHORIZED', 'Admin endpoints answer loopback clients only unless security.admin_token is set');
  }
  const got = req.headers.authorization ?? '';
  const want = `Bearer ${token}`;
  const a = Buffer.from(got);
  const b = Buffer.from(want);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new RelayError('UNAUTHORIZED', 'Missing or wrong admin token');
}

function json(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body, null, 2);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
