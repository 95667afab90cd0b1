/**
 * Streamable HTTP connector: an undici Pool with keep-alive per backend origin.
 * One backend session (Mcp-Session-Id) is shared by every client session; a 404
 * for it means the backend forgot it, so the connector re-initialises once
 * (single flight) and retries. Replies may be JSON or SSE; SSE events other
 * than the awaited response (progress, logging, server requests) go to
 * handleIncoming. A GET stream carries unsolicited notifications (list_changed).
 */
import { StringDecoder } from 'node:string_decoder';
import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { RelayError } from '../errors.js';
import type { JsonRpcMessage } from '../util/jsonrpc.js';
import { SseParser } from '../util/sse.js';
import { BaseBackend, type BackendOptions, type Reply, type RequestOptions } from './backend.js';

export interface HttpBackendOptions extends BackendOptions {
  url: string;
  bearerToken?: string | undefined;
  connections: number;
}

type Body = Dispatcher.ResponseData['body'];
/** Per-request state shared by the deadline, cancellation and the exchange. */
interface Exchange {
  done: boolean;
  abort: ((err: Error) => void) | undefined;
}
/** The backend answered 404 for the session the request used. */
const EXPIRED = Symbol('expired');
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
   * and client cancellation. Either one tells the backend with
   * notifications/cancelled and aborts the exchange.
   */
  protected send(idText: string, text: string, opts: RequestOptions): Promise<Reply> {
    const ex: Exchange = { done: false, abort: undefined };
    return new Promise<Reply>((resolve, reject) => {
      const finish = (err: Error | undefined, reply?: Reply): void => {
        if (ex.done) return;
        ex.done = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(reply!);
      };
      const abort = (reason: string, err: RelayError): void => {
        if (ex.done) return;
        this.post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${idText},"reason":${JSON.stringify(reason)}}}`);
        ex.abort?.(err);
        finish(err);
      };
      const timer = setTimeout(
        () => abort('timeout', new RelayError('BACKEND_TIMEOUT', `Backend "${this.name}" did not answer within ${opts.timeoutMs} ms`, { backend: this.name, timeoutMs: opts.timeoutMs })),
        opts.timeoutMs,
      );
      if (opts.ticket) opts.ticket.cancel = (reason) => abort(reason, new RelayError('REQUEST_CANCELLED', 'Request cancelled by the client', { backend: this.name }));
      this.#exchange(idText, text, opts.timeoutMs, ex).then(
        (reply) => finish(undefined, reply),
        (err: Error) => finish(err),
      );
    });
  }

  async #exchange(idText: string, text: string, timeoutMs: number, ex: Exchange): Promise<Reply> {
    const sessionUsed = this.#sessionId;
    const first = await this.#dispatch(idText, text, timeoutMs, ex);
    if (first !== EXPIRED) return first;
    await this.#reinitialize(sessionUsed!);
    if (ex.done) throw new RelayError('REQUEST_CANCELLED', 'Request abandoned');
    const second = await this.#dispatch(idText, text, timeoutMs, ex);
    if (second === EXPIRED) throw new RelayError('BACKEND_PROTOCOL', `Backend "${this.name}" answered 404 for a fresh session`, { backend: this.name, status: 404 });
    return second;
  }

  /**
   * One POST through undici's dispatch API: no response stream object, one
   * buffer per JSON reply, SSE events parsed as chunks arrive. Resolves with the
   * awaited response as soon as it is seen (an SSE stream is still read to its
   * end so the socket is reused), or EXPIRED when the backend forgot the session.
   */
  #dispatch(idText: string, text: string, timeoutMs: number, ex: Exchange): Promise<Reply | typeof EXPIRED> {
    const sessionUsed = this.#sessionId;
    const max = this.opts.maxMessageBytes;
    return new Promise((resolve, reject) => {
      let settled = false;
      let status = 0;
      let sse: SseParser | undefined;
      let decoder: StringDecoder | undefined;
      const chunks: Buffer[] = [];
      let size = 0;
      const ok = (v: Reply | typeof EXPIRED): void => {
        if (!settled) {
          settled = true;
          resolve(v);
        }
      };
      const fail = (e: Error): void => {
        if (!settled) {
          settled = true;
          reject(e);
        }
      };
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart: (controller) => {
          ex.abort = (err) => controller.abort(err);
        },
        onResponseStart: (_c, statusCode, headers) => {
          status = statusCode;
          const sid = headers['mcp-session-id'];
          if (this.#sessionId === undefined && typeof sid === 'string') {
            this.#sessionId = sid;
            this.#headers = this.#buildHeaders(undefined);
          }
          if (statusCode === 200 && String(headers['content-type'] ?? '').startsWith('text/event-stream')) {
            sse = new SseParser(max);
            decoder = new StringDecoder('utf8');
          }
        },
        onResponseData: (controller, chunk) => {
          if (sse) {
            try {
              for (const ev of sse.push(decoder!.write(chunk))) {
                if (!ev.data) continue;
                const msg = JSON.parse(ev.data) as JsonRpcMessage;
                if (!settled && !('method' in msg) && 'id' in msg && JSON.stringify(msg.id) === idText) ok({ raw: ev.data, idText });
                else this.handleIncoming(msg);
              }
            } catch (err) {
              controller.abort(new RelayError('BACKEND_PROTOCOL', `Backend "${this.name}" sent a bad SSE event: ${(err as Error).message}`, { backend: this.name }));
            }
            return;
          }
          size += chunk.length;
          if (size > max) controller.abort(new RelayError('BACKEND_PROTOCOL', `Backend "${this.name}" reply exceeds max_message_bytes (${max})`, { backend: this.name }));
          else chunks.push(chunk);
        },
        onResponseEnd: () => {
          if (sse) return fail(new RelayError('BACKEND_PROTOCOL', `Backend "${this.name}" closed the SSE stream without answering`, { backend: this.name }));
          const raw = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
          if (status >= 200 && status < 300 && raw.length > 0) return ok({ raw, idText });
          if (status === 404 && sessionUsed !== undefined && this.state === 'ready') return ok(EXPIRED);
          // A JSON-RPC error body with a non-2xx status is still the backend's answer.
          if (raw.startsWith('{') && raw.includes('"error"')) {
            try {
              const msg = JSON.parse(raw) as { error?: unknown };
              if (msg.error) return ok({ raw: JSON.stringify({ ...msg, id: JSON.parse(idText) as unknown }), idText });
            } catch {
              // not JSON: fall through to the protocol error
            }
          }
          fail(new RelayError('BACKEND_PROTOCOL', `Backend "${this.name}" answered HTTP ${status}${raw ? `: ${raw.slice(0, 200)}` : ''}`, { backend: this.name, status }));
        },
        onResponseError: (_c, err) => fail(this.#mapError(err as Error & { code?: string }, timeoutMs)),
      };
      // undici's own timeouts are a backstop; the deadline in send() is the contract.
      this.#pool.dispatch({ path: this.#path, method: 'POST', headers: this.#headers, body: text, headersTimeout: timeoutMs + 1_000, bodyTimeout: timeoutMs + 1_000 }, handler);
    });
  }

  protected post(text: string): void {
    const version = this.info?.protocolVersion;
    if (version && this.#headers['mcp-protocol-version'] !== version) this.#headers = this.#buildHeaders(version);
    this.#pool
      .request({ path: this.#path, method: 'POST', headers: this.#headers, body: text, headersTimeout: 10_000 })
      .then((r) => r.body.dump())
      .catch((err: Error) => this.log.debug({ err: err.message }, 'notification POST failed'));
  }

  #mapError(err: Error & { code?: string }, timeoutMs: number): Error {
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
  #reinitialize(expired: string): Promise<void> {
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
          for (const ev of parser.push(chunk)) if (ev.data) this.handleIncoming(JSON.parse(ev.data) as JsonRpcMessage);
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
