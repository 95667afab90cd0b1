/**
 * Streamable HTTP connector: an undici Pool with keep-alive per backend origin.
 * One backend session (Mcp-Session-Id) is shared by every client session; a 404
 * for it means the backend forgot it, so the connector re-initialises once
 * (single flight) and retries. Replies may be JSON or SSE; SSE events other
 * than the awaited response (progress, logging, server requests) go to
 * handleIncoming. A GET stream carries unsolicited notifications (list_changed).
 */
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { RelayError } from '../errors.js';
import type { JsonRpcMessage } from '../util/jsonrpc.js';
import { SseParser } from '../util/sse.js';
import { Exchange } from './http-exchange.js';
import { BaseBackend, type BackendOptions, type Reply, type RequestOptions } from './backend.js';

export interface HttpBackendOptions extends BackendOptions {
  url: string;
  bearerToken?: string | undefined;
  connections: number;
}

type Body = Dispatcher.ResponseData['body'];
const STREAM_RETRY_MS = 1_000;
const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT']);

export class HttpBackend extends BaseBackend {
  readonly transport = 'http' as const;
  readonly #cfg: HttpBackendOptions;
  readonly #pool: Pool;
  readonly #path: string;
  #sessionId: string | undefined;
  #headers: Record<string, string>;
  #reinit: Promise<void> | undefined;
  #stream: Body | undefined;
  #streamTimer: NodeJS.Timeout | undefined;
  /** Bumped on every (re)connect; a GET stream of an older generation never reopens itself. */
  #generation = 0;

  constructor(opts: HttpBackendOptions) {
    super(opts);
    this.#cfg = opts;
    const url = new URL(opts.url);
    this.#path = url.pathname + url.search;
    this.#pool = new Pool(url.origin, { connections: opts.connections, pipelining: 1, keepAliveTimeout: 30_000 });
    this.#headers = this.#buildHeaders(undefined);
  }

  protected async connect(): Promise<void> {
    this.#closeStream();
    this.#sessionId = undefined;
    this.#headers = this.#buildHeaders(undefined);
    await this.handshake();
    this.#headers = this.#buildHeaders(this.info?.protocolVersion);
    this.#openStream(this.#generation);
  }

  protected async disconnect(): Promise<void> {
    this.#closeStream();
    if (this.state === 'closed') {
      if (this.#sessionId) {
        await this.#pool
          .request({ path: this.#path, method: 'DELETE', headers: this.#headers, headersTimeout: 1_000 })
          .then((r) => r.body.dump())
          .catch(() => undefined);
      }
      await this.#pool.close().catch(() => undefined);
    }
  }

  /**
   * One request with a total deadline (like stdio: progress does not extend it)
   * and client cancellation; either one tells the backend with
   * notifications/cancelled and aborts the exchange. A 404 for the session the
   * request used re-initialises once and retries.
   */
  protected send(idText: string, text: string, opts: RequestOptions): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const ex = new Exchange(this, idText, text, opts.timeoutMs, resolve, reject);
      if (opts.ticket) opts.ticket.cancel = (reason) => ex.cancel(reason, new RelayError('REQUEST_CANCELLED', 'Request cancelled by the client', { backend: this.name }));
      ex.start();
    });
  }

  /** Used by Exchange: the pool, the current headers, and the hooks back into the connector. */
  dispatch(handler: Dispatcher.DispatchHandler, text: string, timeoutMs: number): void {
    // undici's own timeouts are a backstop; the Exchange deadline is the contract.
    this.#pool.dispatch({ path: this.#path, method: 'POST', headers: this.#headers, body: text, headersTimeout: timeoutMs + 1_000, bodyTimeout: timeoutMs + 1_000 }, handler);
  }

  get sessionId(): string | undefined {
    return this.#sessionId;
  }

  get maxMessageBytes(): number {
    return this.opts.maxMessageBytes;
  }

  /** Adopts the session id the initialize response carried. */
  adoptSession(sid: string): void {
    if (this.#sessionId !== undefined) return;
    this.#sessionId = sid;
    this.#headers = this.#buildHeaders(undefined);
  }

  /** A message from an exchange's SSE reply stream that is not its response. */
  incoming(msg: JsonRpcMessage, related: string): void {
    this.handleIncoming(msg, related);
  }

  protected post(text: string): void {
    const version = this.info?.protocolVersion;
    if (version && this.#headers['mcp-protocol-version'] !== version) this.#headers = this.#buildHeaders(version);
    this.#pool
      .request({ path: this.#path, method: 'POST', headers: this.#headers, body: text, headersTimeout: 10_000 })
      .then((r) => r.body.dump())
      .catch((err: Error) => this.log.debug({ err: err.message }, 'notification POST failed'));
  }

  /** undici errors → the error catalogue (used by Exchange). */
  mapError(err: Error & { code?: string }, timeoutMs: number): Error {
    if (err instanceof RelayError) return err;
    if (err.code === 'UND_ERR_HEADERS_TIMEOUT' || err.code === 'UND_ERR_BODY_TIMEOUT') {
      return new RelayError('BACKEND_TIMEOUT', `Backend "${this.name}" did not answer within ${timeoutMs} ms`, { backend: this.name, timeoutMs });
    }
    if (err.code && CONNECTION_ERRORS.has(err.code)) {
      if (this.state === 'ready') this.connectionLost(`${err.code}: ${err.message}`);
      return new RelayError('BACKEND_UNAVAILABLE', `Backend "${this.name}" is unreachable: ${err.code}`, { backend: this.name }, { cause: err });
    }
    if (err.code === 'UND_ERR_ABORTED' || err.name === 'AbortError') {
      return new RelayError('REQUEST_CANCELLED', 'Request cancelled by the client', { backend: this.name });
    }
    return new RelayError('BACKEND_PROTOCOL', `Backend "${this.name}": ${err.message}`, { backend: this.name }, { cause: err });
  }

  /**
   * The backend forgot `expired` (it answered 404): initialise a new session once,
   * shared by every request that saw the same 404. A request whose 404 came from a
   * session already replaced just retries. If the handshake fails, the backend is
   * down: the supervisor takes over and requests fail fast meanwhile.
   */
  reinitialize(expired: string): Promise<void> {
    if (this.#sessionId !== expired && this.#sessionId !== undefined) return this.#reinit ?? Promise.resolve();
    this.#reinit ??= (async () => {
      this.log.info('backend session expired (404); re-initialising');
      try {
        await this.connect();
      } catch (err) {
        this.connectionLost(`re-initialise after 404 failed: ${(err as Error).message}`);
        throw this.unavailable();
      } finally {
        this.#reinit = undefined;
      }
    })();
    return this.#reinit;
  }

  #closeStream(): void {
    this.#generation++;
    clearTimeout(this.#streamTimer);
    this.#stream?.destroy();
    this.#stream = undefined;
  }

  /** The standalone GET stream; 405 means the backend does not offer one. */
  #openStream(generation: number): void {
    if (this.state === 'closed' || !this.#sessionId || generation !== this.#generation) return;
    const headers = { ...this.#headers, accept: 'text/event-stream' };
    delete (headers as Record<string, string>)['content-type'];
    this.#pool
      .request({ path: this.#path, method: 'GET', headers, headersTimeout: 10_000, bodyTimeout: 0 })
      .then(async (res) => {
        if (res.statusCode !== 200) {
          await res.body.dump();
          return;
        }
        if (generation !== this.#generation) return void res.body.destroy();
        this.#stream = res.body;
        const parser = new SseParser(this.opts.maxMessageBytes);
        res.body.setEncoding('utf8');
        for await (const chunk of res.body as AsyncIterable<string>) {
          for (const ev of parser.push(chunk)) if (ev.data) this.handleIncoming(JSON.parse(ev.data) as JsonRpcMessage, null);
        }
        this.#retryStream(generation);
      })
      .catch(() => this.#retryStream(generation));
  }

  #retryStream(generation: number): void {
    if (generation !== this.#generation) return;
    this.#stream = undefined;
    if (this.state !== 'ready' && this.state !== 'starting') return;
    this.#streamTimer = setTimeout(() => this.#openStream(generation), STREAM_RETRY_MS);
    this.#streamTimer.unref();
  }

  #buildHeaders(protocolVersion: string | undefined): Record<string, string> {
    const h: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    if (this.#sessionId) h['mcp-session-id'] = this.#sessionId;
    if (protocolVersion) h['mcp-protocol-version'] = protocolVersion;
    if (this.#cfg.bearerToken) h.authorization = `Bearer ${this.#cfg.bearerToken}`;
    return h;
  }
}
