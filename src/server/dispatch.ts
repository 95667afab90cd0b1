/**
 * Transport-agnostic handling of one JSON-RPC message within a session.
 * Answers locally what the proxy owns (initialize, ping, lists, logging level),
 * resolves routed methods to a Route (namespace + alias: one Map lookup) and
 * runs the pipeline. Returns the response as JSON text; the HTTP and stdio
 * front ends only decide how to frame it.
 */
import type { CancelTicket, RequestOptions, ServerRequestRelay } from '../backends/backend.js';
import type { Catalog, ListKind, Route } from '../catalog/catalog.js';
import type { RelayConfig } from '../config/schema.js';
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS } from '../config/defaults.js';
import { RelayError, toRpcError, type RpcErrorObject } from '../errors.js';
import type { CallContext, RoutedMethod } from '../pipeline/types.js';
import { parseResult, type Reply } from '../backends/backend.js';
import type { VirtualTools } from '../tools/virtual.js';
import { argumentsObject, errorText, idJson, notificationText, progressTokenOf, resultText, swapId, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../util/jsonrpc.js';
import type { Session, SessionStore } from './session.js';
import { notAuthorized, type Principal } from './auth.js';
import { ClientRequests, type NotifySink } from './client-requests.js';
import { ToolScopes } from './scope.js';

const MAX_SUBSCRIPTIONS_PER_SESSION = 1_000;


const LIST_METHODS = new Map<string, ListKind>([
  ['tools/list', 'tools'],
  ['prompts/list', 'prompts'],
  ['resources/list', 'resources'],
  ['resources/templates/list', 'resourceTemplates'],
]);

/** A virtual tool's call of a route: through every stage of the route, within both deadlines. */
function callRoute(route: Route, args: Record<string, unknown>, timeoutMs: number | undefined, relay?: ServerRequestRelay): Promise<Reply> {
  const opts: RequestOptions = { timeoutMs: Math.min(timeoutMs ?? Infinity, route.backend.timeoutMs) };
  if (relay) opts.onServerRequest = relay;
  return route.handler({ method: 'tools/call', route, params: { name: route.local, arguments: args }, opts });
}

export class Dispatcher {
  readonly #catalog: Catalog;
  readonly #cfg: RelayConfig;
  readonly #virtual: VirtualTools;
  readonly #scopes: ToolScopes;
  readonly #asks: ClientRequests;
  readonly #subscribers = new Map<string, Set<Session>>();

  constructor(catalog: Catalog, cfg: RelayConfig, virtual: VirtualTools) {
    this.#catalog = catalog;
    this.#cfg = cfg;
    this.#virtual = virtual;
    this.#scopes = new ToolScopes(virtual, {
      catalog,
      virtual: (name) => virtual.get(name),
      resolveTool: (name) => this.#resolve('tools/call', { name }).route,
      callRoute: (route, args, timeoutMs) => callRoute(route, args, timeoutMs),
    });
    this.#asks = new ClientRequests(cfg.proxy.client_features);
  }

  /**
   * Answers initialize: opens a session in `store` (with its cleanup wired) at the
   * negotiated protocol version, and returns it with the InitializeResult.
   */
  startSession(store: SessionStore, params: Record<string, unknown> | undefined, principal?: Principal): { session: Session; result: Record<string, unknown> } {
    const { version, result } = this.#initializeResult(params);
    const session = store.create(version);
    session.principal = principal;
    session.onClose = () => this.forgetSession(session);
    this.#asks.declare(session, params?.capabilities);
    return { session, result };
  }

  #initializeResult(params: Record<string, unknown> | undefined): { version: string; result: Record<string, unknown> } {
    const requested = params?.protocolVersion;
    const version = (SUPPORTED_PROTOCOL_VERSIONS as readonly unknown[]).includes(requested) ? (requested as string) : LATEST_PROTOCOL_VERSION;
    const instructions = this.#catalog.instructions(this.#cfg.proxy.instructions);
    return {
      version,
      result: {
        protocolVersion: version,
        capabilities: this.#catalog.capabilities(),
        serverInfo: { name: this.#cfg.proxy.name, version: this.#cfg.proxy.version },
        ...(instructions ? { instructions } : {}),
      },
    };
  }

  /** Handles a request; always resolves with the response JSON text. */
  async request(session: Session, msg: JsonRpcRequest, notify?: NotifySink): Promise<string> {
    const id = idJson(msg.id);
    try {
      const list = LIST_METHODS.get(msg.method);
      if (list) {
        const page = this.#catalog.page(list, msg.params?.cursor);
        const canCall = session.principal?.canCall;
        return `{"jsonrpc":"2.0","id":${id},"result":${list === 'tools' && canCall ? this.#scopes.toolPage(page, canCall) : page}}`;
      }
      switch (msg.method) {
        case 'ping':
          return `{"jsonrpc":"2.0","id":${id},"result":{}}`;
        case 'tools/call':
        case 'prompts/get':
        case 'resources/read':
        case 'completion/complete':
        case 'resources/subscribe':
        case 'resources/unsubscribe':
          return await this.#routed(session, msg, id, notify);
        case 'logging/setLevel':
          if (!session.setLogLevel(String(msg.params?.level))) throw new RelayError('INVALID_PARAMS', `Unknown log level ${JSON.stringify(msg.params?.level)}`);
          return `{"jsonrpc":"2.0","id":${id},"result":{}}`;
        case 'initialize':
          throw new RelayError('INVALID_REQUEST', 'This session is already initialized');
        default:
          throw new RelayError('METHOD_NOT_FOUND', `Method not found: ${msg.method}`, { method: msg.method });
      }
    } catch (err) {
      return errorText(id, toRpcError(err));
    }
  }

  notification(session: Session, msg: JsonRpcNotification): void {
    if (msg.method === 'notifications/cancelled') {
      const requestId = msg.params?.requestId;
      if (typeof requestId !== 'string' && typeof requestId !== 'number') return;
      const reason = typeof msg.params?.reason === 'string' ? msg.params.reason : 'cancelled by client';
      const key = idJson(requestId);
      session.inflight.get(key)?.cancel?.(reason);
      this.#asks.cancelled(session, key, reason);
    }
    // notifications/initialized, roots/list_changed, progress: nothing to relay on shared backend sessions.
  }

  /** Fans a backend's resources/updated out to the sessions subscribed to it. */
  resourceUpdated(backend: string, params: Record<string, unknown>): void {
    const uri = this.#catalog.exposeUri(backend, String(params.uri));
    const subs = this.#subscribers.get(uri);
    if (!subs) return;
    const json = notificationText('notifications/resources/updated', { ...params, uri });
    for (const s of subs) s.push?.(json);
  }

  async #routed(session: Session, msg: JsonRpcRequest, id: string, notify?: NotifySink): Promise<string> {
    const method = msg.method as RoutedMethod;
    const params = msg.params ?? {};
    const canCall = method === 'tools/call' ? session.principal?.canCall : undefined;
    // Server→client requests the backend sends while this call runs go to this client.
    const asks = notify && session.askable.size ? this.#asks.open(session, notify) : undefined;
    try {
      if (method === 'tools/call' && this.#virtual.size) {
        const tool = this.#virtual.get(String(params.name));
        if (tool) {
          if (canCall && !this.#scopes.allowed(String(params.name), canCall)) throw notAuthorized(String(params.name));
          return await this.#callVirtual(tool, params, id, session.principal, asks?.relay);
        }
      }
      if (canCall && !canCall(String(params.name))) throw notAuthorized(String(params.name));
      const { route, backendParams } = this.#resolve(method, params);
      if (method === 'resources/subscribe' || method === 'resources/unsubscribe') return await this.#subscription(session, method, route, backendParams, id);
      const ticket: CancelTicket = {};
      const opts: RequestOptions = { timeoutMs: route.backend.timeoutMs, ticket };
      const token = notify ? progressTokenOf(params) : undefined;
      if (token !== undefined && notify) {
        opts.onProgress = (p) => notify(notificationText('notifications/progress', { ...p, progressToken: token }));
      }
      if (asks) opts.onServerRequest = asks.relay;
      const ctx: CallContext = { method, route, params: backendParams, opts };
      session.inflight.set(id, ticket);
      try {
        const reply = await route.handler(ctx);
        if (method === 'resources/read') return this.#exposeContents(route, reply.raw, id);
        return swapId(reply.raw, reply.idText, id);
      } finally {
        session.inflight.delete(id);
      }
    } finally {
      asks?.close();
    }
  }

  /** A client's answer to a relayed server→client request; false when nothing awaits it. */
  response(session: Session, msg: JsonRpcResponse): boolean {
    return this.#asks.response(session, msg);
  }

  async #callVirtual(tool: NonNullable<ReturnType<VirtualTools['get']>>, params: Record<string, unknown>, id: string, principal: Principal | undefined, relay: ServerRequestRelay | undefined): Promise<string> {
    let io = this.#scopes.ioFor(principal);
    // the targets' server→client requests reach this client too
    if (relay) io = { ...io, callRoute: (route, args, timeoutMs) => callRoute(route, args, timeoutMs, relay) };
    const out = await tool.call(argumentsObject(params.arguments, String(params.name)), io);
    if ('result' in out) return resultText(id, out.result);
    const reply: Reply = out.reply;
    return swapId(reply.raw, reply.idText, id);
  }

  /** resources/read: contents carry backend-local URIs; give the client the ones it can read again. */
  #exposeContents(route: Route, raw: string, id: string): string {
    const msg = JSON.parse(raw) as { result?: { contents?: { uri?: unknown }[] }; error?: unknown };
    for (const c of msg.result?.contents ?? []) {
      if (typeof c.uri === 'string') c.uri = this.#catalog.exposeUri(route.backend.name, c.uri);
    }
    return msg.error !== undefined ? errorText(id, msg.error as RpcErrorObject) : resultText(id, msg.result);
  }

  /** Namespace + alias → Route; the only place client-facing names are resolved. */
  #resolve(method: RoutedMethod, params: Record<string, unknown>): { route: Route; backendParams: Record<string, unknown> } {
    switch (method) {
      case 'tools/call':
      case 'prompts/get': {
        const name = params.name;
        if (typeof name !== 'string') throw new RelayError('INVALID_PARAMS', `${method} needs a string "name"`);
        argumentsObject(params.arguments, name);
        const route = (method === 'tools/call' ? this.#catalog.tools : this.#catalog.prompts).get(name);
        if (!route) throw this.#unknown(method === 'tools/call' ? 'UNKNOWN_TOOL' : 'UNKNOWN_PROMPT', name);
        return { route, backendParams: { ...params, name: route.local } };
      }
      case 'completion/complete': {
        const ref = params.ref as Record<string, unknown> | undefined;
        if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
          const route = this.#catalog.prompts.get(ref.name);
          if (!route) throw this.#unknown('UNKNOWN_PROMPT', ref.name);
          return { route, backendParams: { ...params, ref: { ...ref, name: route.local } } };
        }
        if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
          const route = this.#resourceRoute(ref.uri);
          return { route, backendParams: { ...params, ref: { ...ref, uri: route.local } } };
        }
        throw new RelayError('INVALID_PARAMS', 'completion/complete needs ref {type:"ref/prompt",name} or {type:"ref/resource",uri}');
      }
      default: {
        const uri = params.uri;
        if (typeof uri !== 'string') throw new RelayError('INVALID_PARAMS', `${method} needs a string "uri"`);
        const route = this.#resourceRoute(uri);
        return { route, backendParams: { ...params, uri: route.local } };
      }
    }
  }

  #resourceRoute(uri: string): Route {
    const hit = this.#catalog.resolveResource(uri);
    if (!hit) throw this.#unknown('UNKNOWN_RESOURCE', uri);
    return this.#catalog.resourceRoute(hit.backend, uri, hit.local);
  }

  #unknown(code: 'UNKNOWN_TOOL' | 'UNKNOWN_PROMPT' | 'UNKNOWN_RESOURCE', name: string): RelayError {
    const what = code === 'UNKNOWN_TOOL' ? 'tool' : code === 'UNKNOWN_PROMPT' ? 'prompt' : 'resource';
    if (code !== 'UNKNOWN_RESOURCE') {
      const reason = this.#catalog.deniedReason(code === 'UNKNOWN_TOOL' ? 'tools' : 'prompts', name);
      if (reason) return new RelayError('POLICY_DENIED', `${what === 'tool' ? 'Tool' : 'Prompt'} not available: ${name} (${reason})`, { name, reason });
    }
    const sep = this.#catalog.separator;
    const i = name.indexOf(sep);
    const backend = i > 0 ? this.#catalog.backend(name.slice(0, i)) : undefined;
    if (backend && backend.state !== 'ready') {
      return new RelayError('BACKEND_UNAVAILABLE', `Backend "${backend.name}" is ${backend.state}${backend.lastError ? `: ${backend.lastError}` : ''}; cannot reach ${what} ${name}`, { backend: backend.name, name });
    }
    const hint = backend ? `backend "${backend.name}" has no ${what} by that name` : `names look like <backend>${sep}<name>`;
    return new RelayError(code, `Unknown ${what}: ${name} (${hint})`, { name });
  }

  /**
   * Subscriptions share one backend session, so they are reference-counted per
   * URI: the first subscriber's request goes to the backend (through the route's
   * stages), later ones and all but the last unsubscribe are answered here.
   */
  async #subscription(session: Session, method: 'resources/subscribe' | 'resources/unsubscribe', route: Route, params: Record<string, unknown>, id: string): Promise<string> {
    const uri = route.exposed;
    let subs = this.#subscribers.get(uri);
    if (method === 'resources/subscribe') {
      if (session.subscriptions.has(uri)) return resultText(id, {});
      if (session.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_SESSION) throw new RelayError('INVALID_PARAMS', `A session may hold at most ${MAX_SUBSCRIPTIONS_PER_SESSION} resource subscriptions`);
      if (!subs?.size) await this.#forward(route, method, params);
      subs = this.#subscribers.get(uri) ?? new Set();
      this.#subscribers.set(uri, subs);
      subs.add(session);
      session.subscriptions.set(uri, route);
      return resultText(id, {});
    }
    if (!session.subscriptions.delete(uri)) return resultText(id, {});
    subs?.delete(session);
    if (!subs?.size) {
      this.#subscribers.delete(uri);
      await this.#forward(route, method, params);
    }
    return resultText(id, {});
  }

  async #forward(route: Route, method: RoutedMethod, params: Record<string, unknown>): Promise<void> {
    const reply = await route.handler({ method, route, params, opts: { timeoutMs: route.backend.timeoutMs } });
    parseResult(reply);
  }

  /** Drops a closed session's subscriptions; the last subscriber of a URI unsubscribes upstream. */
  forgetSession(session: Session): void {
    for (const [uri, route] of session.subscriptions) {
      const subs = this.#subscribers.get(uri);
      subs?.delete(session);
      if (subs?.size) continue;
      this.#subscribers.delete(uri);
      this.#forward(route, 'resources/unsubscribe', { uri: route.local }).catch(() => undefined);
    }
    session.subscriptions.clear();
  }

  /** A backend reconnected with a new session: subscribe again to what clients still watch. */
  resubscribe(backend: string): void {
    for (const [uri, subs] of this.#subscribers) {
      const route = subs.values().next().value?.subscriptions.get(uri);
      if (route?.backend.name !== backend) continue;
      this.#forward(route, 'resources/subscribe', { uri: route.local }).catch(() => undefined);
    }
  }

}
