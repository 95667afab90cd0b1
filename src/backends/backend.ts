/**
 * The Backend contract and the behaviour every connector shares:
 * - a supervisor: connect, and on failure or loss retry with capped, jittered
 *   exponential backoff; requests fail fast with BACKEND_UNAVAILABLE meanwhile;
 * - the MCP initialize handshake (the proxy is the client, declaring the
 *   [proxy] client_features capabilities);
 * - server→client requests: relayed to the client behind the call they belong to
 *   (sampling, elicitation, roots), else answered locally;
 * - id minting ("~r" + counter, so many client sessions share one backend
 *   session safely) and progress-token remapping.
 * Connectors (stdio.ts, http.ts) only move bytes. test/contract/ runs one suite
 * against both.
 */
import { RelayError, BackendRpcError } from '../errors.js';
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../util/jsonrpc.js';
import { errorText, notificationText, requestText, resultText } from '../util/jsonrpc.js';
import { DEFAULTS } from '../config/defaults.js';
import type { Logger } from '../util/log.js';

export type BackendState = 'idle' | 'starting' | 'ready' | 'down' | 'closed';

export interface InitializeInfo {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  serverInfo: { name: string; version: string; [k: string]: unknown };
  instructions?: string;
}

/** Filled by the connector so the front end can cancel a request in flight. */
export interface CancelTicket {
  cancel?: (reason: string) => void;
}

export interface RequestOptions {
  timeoutMs: number;
  ticket?: CancelTicket;
  /** Receives notifications/progress params (token already restored by the caller). */
  onProgress?: (params: Record<string, unknown>) => void;
  /**
   * Answers a server→client request (sampling, elicitation, roots) the backend sends
   * while this request runs, by asking the client that made it.
   */
  onServerRequest?: ServerRequestRelay;
}

/** What a client answered to a relayed server→client request. */
export type ServerRequestAnswer = { result: unknown } | { error: { code: number; message: string; data?: unknown } };
export type ServerRequestRelay = (method: string, params: Record<string, unknown> | undefined) => Promise<ServerRequestAnswer>;

/**
 * Where a message from the backend came from: the request whose reply stream carried it
 * (its id text), `null` for a stream tied to no request (an HTTP GET stream), or
 * `undefined` when the transport cannot tell (stdio).
 */
export type Related = string | null | undefined;

/**
 * Requests a server may send server→client requests on behalf of (a client's call); the
 * proxy's own list fetches and subscriptions are not counted as outstanding work.
 */
const CALL_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read', 'completion/complete']);

/** Server→client requests that are relayed to the client behind a call. */
const RELAYED_METHODS = new Set(['sampling/createMessage', 'elicitation/create', 'roots/list']);

/** A backend's JSON-RPC response, raw, with the id mcp-relay gave it (JSON text). */
export interface Reply {
  raw: string;
  idText: string;
}

export interface BackendHooks {
  onState?: (backend: Backend, state: BackendState) => void;
  onReady?: (backend: Backend) => void;
  /** Unsolicited notifications: list_changed, resources/updated, message. */
  onNotification?: (backend: Backend, msg: JsonRpcNotification) => void;
}

export interface Backend {
  readonly name: string;
  readonly transport: 'stdio' | 'http';
  readonly state: BackendState;
  readonly info: InitializeInfo | undefined;
  readonly lastError: string | undefined;
  readonly connects: number;
  readonly requests: number;
  readonly failures: number;
  /** Per-request deadline ([backends.timeout] seconds, or the default). */
  readonly timeoutMs: number;
  /** Starts supervision; resolves after the first connection attempt (success or not). */
  start(): Promise<void>;
  request(method: string, params: Record<string, unknown> | undefined, opts: RequestOptions): Promise<Reply>;
  close(): Promise<void>;
}

export interface BackendOptions {
  name: string;
  clientName: string;
  clientVersion: string;
  clientCapabilities: Record<string, unknown>;
  maxMessageBytes: number;
  timeoutMs: number;
  log: Logger;
  hooks?: BackendHooks;
  /** Supervision off: one connection attempt, no restarts (mirror workers use their own policy). */
  restart?: boolean;
}

export const BACKEND_PROTOCOL_VERSIONS = new Set(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
const OFFERED_VERSION = '2025-11-25';
const HANDSHAKE_TIMEOUT_MS = 15_000;

export abstract class BaseBackend implements Backend {
  abstract readonly transport: 'stdio' | 'http';
  readonly name: string;
  state: BackendState = 'idle';
  info: InitializeInfo | undefined;
  lastError: string | undefined;
  connects = 0;
  requests = 0;
  failures = 0;
  readonly timeoutMs: number;
  protected readonly opts: BackendOptions;
  protected readonly log: Logger;
  #seq = 0;
  #progress = new Map<string, (params: Record<string, unknown>) => void>();
  /** Requests in flight whose client can answer server→client requests, by id text. */
  #relays = new Map<string, ServerRequestRelay>();
  /**
   * stdio only (the transport cannot say which call a server request belongs to): every
   * call (CALL_METHODS) the backend may still be working on, by id text. Calls that timed
   * out or were cancelled stay until the backend answers them (late) or restarts, since it
   * may still send requests on their behalf: relays then stop rather than risk the wrong client.
   */
  #outstanding: Set<string> | undefined;
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(opts: BackendOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.timeoutMs = opts.timeoutMs;
    this.log = opts.log.child({ backend: opts.name });
  }

  /** Connectors whose transport cannot relate a server request to a call (stdio) call this once. */
  protected trackOutstanding(): void {
    this.#outstanding = new Set();
  }

  /** Opens the transport and runs the handshake; throws on failure. */
  protected abstract connect(): Promise<void>;
  /** Tears the transport down (no restart). */
  protected abstract disconnect(): Promise<void>;
  /** Sends one request whose id is already minted; resolves with the raw response. */
  protected abstract send(idText: string, text: string, opts: RequestOptions): Promise<Reply>;
  /** Sends a notification or a response to the backend. */
  protected abstract post(text: string): void;

  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    await this.#connectOnce();
  }

  async close(): Promise<void> {
    this.#setState('closed');
    clearTimeout(this.#retryTimer);
    await this.disconnect();
  }

  request(method: string, params: Record<string, unknown> | undefined, opts: RequestOptions): Promise<Reply> {
    if (this.state !== 'ready') return Promise.reject(this.unavailable());
    this.requests++;
    const idText = this.mintId();
    let sendParams = params;
    let token: string | undefined;
    const meta = params?._meta as Record<string, unknown> | undefined;
    if (opts.onProgress && params) {
      token = `~p${this.#seq++}`;
      this.#progress.set(token, opts.onProgress);
      sendParams = { ...params, _meta: { ...meta, progressToken: token } };
    } else if (meta !== undefined && typeof meta === 'object' && meta !== null && 'progressToken' in meta) {
      // Nobody relays this request's progress: never pass a client's token on, or it could
      // collide with (and be delivered to) another client's request on the shared session.
      const { progressToken: _drop, ...rest } = meta;
      sendParams = { ...params, _meta: rest };
    }
    let p = this.send(idText, requestText(idText, method, sendParams), opts);
    const outstanding = CALL_METHODS.has(method) ? this.#outstanding : undefined;
    if (outstanding) {
      outstanding.add(idText);
      p = p.then(
        (reply) => {
          outstanding.delete(idText);
          return reply;
        },
        (err: unknown) => {
          // a call the proxy gave up on may still be running in the backend
          const abandoned = err instanceof RelayError && (err.code === 'BACKEND_TIMEOUT' || err.code === 'REQUEST_CANCELLED');
          if (!abandoned) outstanding.delete(idText);
          throw err;
        },
      );
    }
    const relay = opts.onServerRequest;
    if (relay) this.#relays.set(idText, relay);
    if (token === undefined && !relay) return p;
    return p.finally(() => {
      if (token !== undefined) this.#progress.delete(token);
      if (relay) this.#relays.delete(idText);
    });
  }

  /** Tells the backend to stop working on request `idText` (timeout or client cancel). */
  cancelUpstream(idText: string, reason: string): void {
    this.post(notificationText('notifications/cancelled', { requestId: JSON.parse(idText) as unknown, reason }));
  }

  protected mintId(): string {
    return `"~r${(this.#seq++).toString(36)}"`;
  }

  protected unavailable(): RelayError {
    const why = this.lastError ? `: ${this.lastError}` : '';
    return new RelayError('BACKEND_UNAVAILABLE', `Backend "${this.name}" is ${this.state === 'starting' ? 'starting' : 'unavailable'}${why}`, { backend: this.name, state: this.state });
  }

  /** MCP handshake; called by connectors once bytes can flow. */
  protected async handshake(): Promise<void> {
    const params = {
      protocolVersion: OFFERED_VERSION,
      capabilities: this.opts.clientCapabilities,
      clientInfo: { name: this.opts.clientName, version: this.opts.clientVersion },
    };
    const idText = this.mintId();
    const reply = await this.send(idText, requestText(idText, 'initialize', params), { timeoutMs: HANDSHAKE_TIMEOUT_MS });
    const result = parseResult(reply) as Partial<InitializeInfo>;
    if (typeof result.protocolVersion !== 'string' || !BACKEND_PROTOCOL_VERSIONS.has(result.protocolVersion)) {
      throw new RelayError('BACKEND_PROTOCOL', `Backend "${this.name}" answered initialize with unsupported protocol version ${String(result.protocolVersion)}`);
    }
    this.info = {
      protocolVersion: result.protocolVersion,
      capabilities: (result.capabilities ?? {}) as Record<string, unknown>,
      serverInfo: (result.serverInfo ?? { name: this.name, version: '' }) as InitializeInfo['serverInfo'],
      ...(typeof result.instructions === 'string' ? { instructions: result.instructions } : {}),
    };
    this.post(notificationText('notifications/initialized', undefined));
  }

  /** Routes a message the backend sent that is not the awaited response. */
  protected handleIncoming(msg: JsonRpcMessage, related: Related = undefined): void {
    if ('method' in msg) {
      if ('id' in msg && msg.id !== undefined) {
        this.#serverRequest(msg as JsonRpcRequest, related);
        return;
      }
      const params = msg.params;
      if (msg.method === 'notifications/progress' && params) {
        const handler = this.#progress.get(String(params.progressToken));
        if (handler) handler(params);
        return;
      }
      this.opts.hooks?.onNotification?.(this, msg);
      return;
    }
    // a late answer to a call the proxy gave up on: the backend is done with it
    this.#outstanding?.delete(JSON.stringify((msg as JsonRpcResponse).id));
    this.log.debug({ id: (msg as JsonRpcResponse).id }, 'response for an unknown request id ignored');
  }

  /**
   * A server→client request. Sampling, elicitation and roots requests sent while a client's
   * call runs go to that client: the call is known from the stream that carried the request
   * (HTTP), or, when the transport cannot tell (stdio), it is the only relayable call in
   * flight. Everything else is answered here, since the backend session is shared:
   * ping → {}, roots/list → no roots, anything else → method not found.
   */
  #serverRequest(req: JsonRpcRequest, related: Related): void {
    const id = JSON.stringify(req.id);
    if (RELAYED_METHODS.has(req.method)) {
      const relay = related ? this.#relays.get(related) : related === undefined ? this.#onlyCall() : undefined;
      if (relay) {
        relay(req.method, req.params).then(
          (answer) => this.post('result' in answer ? resultText(id, answer.result) : errorText(id, answer.error)),
          (err: unknown) => this.post(errorText(id, { code: -32603, message: `mcp-relay could not relay ${req.method}: ${(err as Error).message}` })),
        );
        return;
      }
    }
    if (req.method === 'ping') this.post(resultText(id, {}));
    else if (req.method === 'roots/list') this.post(resultText(id, { roots: [] }));
    else {
      const why = RELAYED_METHODS.has(req.method)
        ? 'not relayed: the client behind this call did not declare that capability (or it was sent outside a client call, or during several calls over stdio)'
        : 'not available: mcp-relay does not relay it';
      this.post(errorText(id, { code: -32601, message: `${req.method} ${why}` }));
    }
  }

  /**
   * stdio: the relay of the one request the backend may be working on, or undefined when
   * there are several (including abandoned ones): refusing beats asking the wrong client.
   */
  #onlyCall(): ServerRequestRelay | undefined {
    const outstanding = this.#outstanding;
    if (!outstanding) return undefined;
    if (outstanding.size !== 1) return undefined;
    return this.#relays.get(outstanding.keys().next().value!);
  }

  /** Connectors call this when the transport dies; schedules a reconnect. */
  protected connectionLost(reason: string): void {
    if (this.state === 'closed') return;
    this.#outstanding?.clear();
    const wasReady = this.state === 'ready';
    this.lastError = reason;
    this.#setState('down');
    if (wasReady) this.log.warn({ reason }, 'backend connection lost');
    this.#scheduleRetry();
  }

  async #connectOnce(): Promise<void> {
    this.#setState('starting');
    try {
      await this.connect();
      if (this.state !== 'starting') return; // closed (or lost) while connecting
      this.#attempt = 0;
      this.connects++;
      this.lastError = undefined;
      this.#setState('ready');
      this.log.info({ protocolVersion: this.info?.protocolVersion, server: this.info?.serverInfo.name }, 'backend ready');
      this.opts.hooks?.onReady?.(this);
    } catch (err) {
      if (this.state === 'closed') return;
      this.failures++;
      this.lastError = (err as Error).message;
      this.log.warn({ err: this.lastError, attempt: this.#attempt + 1 }, 'backend failed to start');
      this.#setState('down');
      await this.disconnect().catch(() => undefined);
      this.#scheduleRetry();
    }
  }

  #scheduleRetry(): void {
    if (this.state === 'closed' || this.opts.restart === false || this.#retryTimer) return;
    const base = Math.min(DEFAULTS.restartBackoffMaxMs, DEFAULTS.restartBackoffMinMs * 2 ** this.#attempt++);
    const delay = Math.round(base / 2 + Math.random() * (base / 2));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connectOnce();
    }, delay);
    this.#retryTimer.unref();
  }

  #setState(state: BackendState): void {
    if (this.state === state) return;
    this.state = state;
    this.opts.hooks?.onState?.(this, state);
  }
}

/** Parses a reply's result, or throws the backend's JSON-RPC error unchanged. */
export function parseResult(reply: Reply): Record<string, unknown> {
  const msg = JSON.parse(reply.raw) as JsonRpcResponse;
  if (msg.error) throw new BackendRpcError(msg.error);
  if (typeof msg.result !== 'object' || msg.result === null) {
    throw new RelayError('BACKEND_PROTOCOL', 'Backend response has no result object');
  }
  return msg.result as Record<string, unknown>;
}
