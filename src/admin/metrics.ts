/**
 * Prometheus metrics (prom-client, the standard Node exposition library).
 * Nothing is incremented on the request path: every series is a collect()
 * callback that reads live state (backend objects, session store, the mirror
 * engine's shared counters and per-tool stats) at scrape time.
 */
import type * as Prom from 'prom-client';
import { load } from '../util/load.js';
import type { Backend } from '../backends/backend.js';
import type { MirrorEngine } from '../mirror/engine.js';
import { COUNTERS, DIFF_CLASSES, STATE_SLOTS } from '../mirror/counters.js';
import type { SessionStore } from '../server/session.js';

/** Built on the first scrape (prom-client is loaded then, not at startup). */
export function createMetrics(backends: readonly Backend[], sessions: SessionStore, mirror: MirrorEngine | null): Prom.Registry {
  const { Registry, Gauge, Counter, collectDefaultMetrics } = load<typeof Prom>('prom-client');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mcp_relay_process_' });
  new Gauge({
    name: 'mcp_relay_backend_up', help: '1 when the backend is connected and initialized', labelNames: ['backend', 'transport'], registers: [registry],
    collect() { for (const b of backends) this.set({ backend: b.name, transport: b.transport }, b.state === 'ready' ? 1 : 0); },
  });
  new Counter({
    name: 'mcp_relay_backend_requests_total', help: 'Requests sent to the backend (including list refreshes)', labelNames: ['backend'], registers: [registry],
    collect() { this.reset(); for (const b of backends) this.inc({ backend: b.name }, b.requests); },
  });
  new Counter({
    name: 'mcp_relay_backend_connects_total', help: 'Successful (re)connections to the backend', labelNames: ['backend'], registers: [registry],
    collect() { this.reset(); for (const b of backends) this.inc({ backend: b.name }, b.connects); },
  });
  new Gauge({
    name: 'mcp_relay_sessions', help: 'Open client sessions', registers: [registry],
    collect() { this.set(sessions.size); },
  });
  new Gauge({
    name: 'mcp_relay_client_streams', help: 'Client sessions with an open stream for server notifications (HTTP GET stream)', registers: [registry],
    collect() { this.set(sessions.streams); },
  });
  if (mirror) addMirrorMetrics(registry, mirror);
  return registry;
}

function addMirrorMetrics(registry: Prom.Registry, mirror: MirrorEngine): void {
  const { Gauge, Counter } = load<typeof Prom>('prom-client');
  const counterNames = COUNTERS.filter((n) => !(STATE_SLOTS as readonly string[]).includes(n) && !(DIFF_CLASSES as readonly string[]).includes(n));
  new Counter({
    name: 'mcp_relay_mirror_events_total', help: 'Mirror pipeline events per mirror (eligible, sampled, enqueued, dropped_queue_full, dropped_too_large, dropped_canary_down, sent, succeeded, failed, timed_out)',
    labelNames: ['mirror', 'source', 'event'], registers: [registry],
    collect() {
      this.reset();
      for (const l of mirror.links) for (const e of counterNames) this.inc({ mirror: l.mirror, source: l.source, event: e }, mirror.counters.get(l.index, e));
    },
  });
  new Counter({
    name: 'mcp_relay_mirror_diff_total', help: 'Shadow diff classes per mirror and tool', labelNames: ['mirror', 'tool', 'class'], registers: [registry],
    collect() {
      this.reset();
      for (const l of mirror.links) {
        for (const [tool, counts] of Object.entries(mirror.stats.perTool(l.index))) {
          for (const c of DIFF_CLASSES) if (counts[c]) this.inc({ mirror: l.mirror, tool, class: c }, counts[c]);
        }
      }
    },
  });
  new Gauge({
    name: 'mcp_relay_mirror_canary_up', help: '0 while the pool thread cannot reach the mirror backend (copies are dropped, counted as dropped_canary_down)', labelNames: ['mirror'], registers: [registry],
    collect() { for (const l of mirror.links) this.set({ mirror: l.mirror }, mirror.counters.canaryUp(l.index) ? 1 : 0); },
  });
  new Gauge({ name: 'mcp_relay_mirror_queue_depth', help: 'Copies waiting in the mirror queue', registers: [registry], collect() { this.set(mirror.waiting); } });
  new Gauge({ name: 'mcp_relay_mirror_queue_capacity', help: 'mirror.queue_size', registers: [registry], collect() { this.set(mirror.settings.queue_size); } });
  new Gauge({ name: 'mcp_relay_mirror_in_flight', help: 'Copies being sent by pool threads', registers: [registry], collect() { this.set(mirror.inFlight); } });
  new Gauge({
    name: 'mcp_relay_mirror_canary_latency_seconds', help: 'Canary latency quantiles (HDR histogram)', labelNames: ['mirror', 'quantile'], registers: [registry],
    collect() {
      for (const l of mirror.links) {
        const lat = mirror.stats.latency(l.index, 'canary');
        this.set({ mirror: l.mirror, quantile: '0.5' }, (lat.p50_ms ?? 0) / 1000);
        this.set({ mirror: l.mirror, quantile: '0.99' }, (lat.p99_ms ?? 0) / 1000);
      }
    },
  });
}
