/**
 * Assembles a running proxy from a validated config:
 * backends (primary ones on this thread; mirror ones live in the pool threads)
 * → catalog → mirror engine → pipeline (composed once) → dispatcher → front end.
 * Also the wiring of backend events: (re)connect and list_changed refresh the
 * catalog; catalog changes, resource updates and log messages fan out to sessions.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Backend, BackendHooks } from './backends/backend.js';
import { createBackend } from './backends/factory.js';
import { Catalog, type ListKind } from './catalog/catalog.js';
import type { RelayConfig } from './config/schema.js';
import { DEFAULTS } from './config/defaults.js';
import { MirrorEngine, type MirrorOverrides } from './mirror/engine.js';
import { buildPipeline } from './pipeline/order.js';
import { VirtualTools } from './tools/virtual.js';
import { Dispatcher } from './server/dispatch.js';
import { SessionStore } from './server/session.js';
import { createHttpFront } from './server/http.js';
import { createAdminHandler } from './admin/routes.js';
import { createMetrics } from './admin/metrics.js';
import { notificationText } from './util/jsonrpc.js';
import type { Logger } from './util/log.js';

const LIST_CHANGED = new Map<string, ListKind[]>([
  ['notifications/tools/list_changed', ['tools']],
  ['notifications/prompts/list_changed', ['prompts']],
  ['notifications/resources/list_changed', ['resources', 'resourceTemplates']],
]);
const CLIENT_LIST_CHANGED: Record<ListKind, string> = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
  resourceTemplates: 'notifications/resources/list_changed',
};

export interface RelayOptions {
  config: RelayConfig;
  log: Logger;
  mirror?: MirrorOverrides;
}

export class Relay {
  readonly config: RelayConfig;
  readonly log: Logger;
  readonly backends: Backend[];
  readonly catalog: Catalog;
  readonly mirror: MirrorEngine | null;
  readonly sessions: SessionStore;
  readonly dispatcher: Dispatcher;
  readonly stages: string[];
  #http: Server | undefined;
  #metrics: ReturnType<typeof createMetrics> | undefined;
  #startedAt = Date.now();

  constructor(opts: RelayOptions) {
    const { config, log } = opts;
    this.config = config;
    this.log = log;
    this.mirror = MirrorEngine.fromConfig(config, log, opts.mirror);
    const hooks: BackendHooks = {
      onReady: (b) => {
        this.#refresh(b);
        this.dispatcher.resubscribe(b.name);
      },
      onNotification: (b, msg) => this.#onBackendNotification(b, msg.method, msg.params),
    };
    const primaries = config.backends.filter((b) => b.mirror_of === undefined);
    const clientCapabilities = Object.fromEntries(config.proxy.client_features.map((f) => [f, {}]));
    this.backends = primaries.map((b) => createBackend(b, { clientName: config.proxy.name, clientVersion: config.proxy.version, clientCapabilities, log, hooks }));
    const pipeline = buildPipeline({ config, mirror: this.mirror, log, backends: new Map(primaries.map((b) => [b.name, b])) });
    this.stages = [...pipeline.active];
    const virtual = new VirtualTools(config, () => this.catalog);
    this.catalog = new Catalog(
      this.backends.map((backend, i) => ({ backend, aliases: primaries[i]!.aliases })),
      config.proxy.separator,
      log,
      {
        onListChanged: (kind) => this.sessions.broadcast(notificationText(CLIENT_LIST_CHANGED[kind], undefined)),
        transform: (item, ref) => pipeline.transform(item, ref),
        handlerFor: (route) => pipeline.handlerFor(route),
        ...(virtual.size ? { virtualTools: () => ({ items: virtual.items(), replace: virtual.replaceList }) } : {}),
      },
    );
    this.sessions = new SessionStore(config.proxy.http.max_sessions, config.proxy.http.session_idle_seconds);
    this.dispatcher = new Dispatcher(this.catalog, config, virtual);
  }

  /** Connects every backend (bounded wait) and loads their catalogs. */
  async startBackends(waitMs = DEFAULTS.startupWaitSeconds * 1000): Promise<void> {
    const all = Promise.all(this.backends.map((b) => b.start().then(() => (b.state === 'ready' ? this.catalog.refresh(b) : undefined))));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([all, timeout]);
    clearTimeout(timer);
    for (const b of this.backends) if (b.state !== 'ready') this.log.warn({ backend: b.name, state: b.state, err: b.lastError }, 'backend not ready at startup; serving the others and retrying it');
  }

  async listen(): Promise<{ host: string; port: number; url: string }> {
    const { host, port } = this.config.proxy.listen;
    const server = createHttpFront({
      config: this.config,
      dispatcher: this.dispatcher,
      sessions: this.sessions,
      log: this.log,
      admin: createAdminHandler({
        primaries: this.backends,
        catalog: this.catalog,
        sessions: this.sessions,
        mirror: this.mirror,
        metrics: () => (this.#metrics ??= createMetrics(this.backends, this.sessions, this.mirror)),
        adminToken: this.config.security.admin_token,
        startedAt: this.#startedAt,
      }),
    });
    server.keepAliveTimeout = 65_000;
    this.#http = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    return { host: addr.address, port: addr.port, url: `http://${shownHost}:${addr.port}${this.config.proxy.http.path}` };
  }

  async stop(): Promise<void> {
    const grace = this.config.proxy.shutdown_timeout_seconds * 1000;
    this.sessions.closeAll();
    if (this.#http) {
      const server = this.#http;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const force = setTimeout(() => server.closeAllConnections(), Math.min(grace, 2_000));
      force.unref();
      await closed;
      clearTimeout(force);
    }
    await this.mirror?.close();
    await Promise.allSettled(this.backends.map((b) => b.close()));
  }

  /** Catalog refreshes run in the background; a failure is logged, never thrown. */
  #refresh(b: Backend, kinds?: ListKind[]): void {
    this.catalog.refresh(b, kinds).catch((err: unknown) => this.log.error({ backend: b.name, err: (err as Error).message }, 'catalog refresh failed'));
  }

  #onBackendNotification(b: Backend, method: string, params: Record<string, unknown> | undefined): void {
    const kinds = LIST_CHANGED.get(method);
    if (kinds) {
      this.#refresh(b, kinds);
      return;
    }
    if (method === 'notifications/resources/updated' && params) {
      this.dispatcher.resourceUpdated(b.name, params);
      return;
    }
    if (method === 'notifications/message' && params) {
      const json = notificationText(method, { ...params, logger: params.logger ? `${b.name}/${String(params.logger)}` : b.name });
      // Backend logs are not tied to a caller and may describe other callers' calls: a
      // scoped token ([auth]) does not get them.
      this.sessions.broadcast(json, (s) => s.principal?.canCall === undefined && s.wantsLog(params.level));
      return;
    }
    this.log.debug({ backend: b.name, method }, 'backend notification not relayed');
  }
}
