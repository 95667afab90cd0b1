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
  body: Body | undefined;
}
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
   * notifications/cancelled and drops the response stream.
   */
  protected send(idText: string, text: string, opts: RequestOptions): Promise<Reply> {
    const ex: Exchange = { done: false, body: undefined };
    return new Promise<Reply>((resolve, reject) => {
      const abort = (reason: string, err: RelayError): void => {
        if (ex.done) return;
        ex.done = true;
        clearTimeout(timer);
        this.post(`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":${idText},"reason":${JSON.stringify(reason)}}}`);
        ex.body?.destroy();
        reject(err);
      };
      const timer = setTimeout(
        () => abort('timeout', new RelayError('BACKEND_TIMEOUT', `Backend "${this.name}" did not answer within ${opts.timeoutMs} ms`, { backend: this.name, timeoutMs: opts.timeoutMs })),
        opts.timeoutMs,
      );
      if (opts.ticket) opts.ticket.cancel = (reason) => abort(reason, new RelayError('REQUEST_CANCELLED', 'Request cancelled by the client', { backend: this.name }));
      this.#exchange(idText, text, opts.timeoutMs, ex).then(
        (reply) => {
          if (ex.done) return;
          ex.done = true;
          clearTimeout(timer);
          resolve(reply);
        },
        (err: Error) => {
          if (ex.done) return;
          ex.done = true;
          clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  async #exchange(idText: string, text: string, timeoutMs: number, ex: Exchange): Promise<Reply> {
    // undici's own timeouts are a backstop; the deadline above is the contract.
    const sessionUsed = this.#sessionId;
    let res = await this.#post(text, timeoutMs + 1_000);
    if (res.statusCode === 404 && sessionUsed && this.state === 'ready' && !ex.done) {
      await res.body.dump();
      await this.#reinitialize(sessionUsed);
      res = await this.#post(text, timeoutMs + 1_000);
    }
    if (ex.done) {
      res.body.destroy();
      throw new RelayError('REQUEST_CANCELLED', 'Request abandoned');
    }
    ex.body = res.body;
    return this.#readReply(res, idText, timeoutMs);
  }

  protected post(text: string): void {
    const version = this.info?.protocolVersion;
    if (version && this.#headers['mcp-protocol-version'] !== version) this.#headers = this.#buildHeaders(version);
    this.#pool
      .request({ path: this.#path, method: 'POST', headers: this.#headers, body: text, headersTimeout: 10_000 })
      .then((r) => r.body.dump())
      .catch((err: Error) => this.log.debug({ err: err.message }, 'notification POST failed'));
  }

  async #post(text: string, timeoutMs: number): Promise<Dispatcher.ResponseData> {
    try {
      return await this.#pool.request({
        path: this.#path,
        method: 'POST',
        headers: this.#headers,
        body: text,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
    } catch (err) {
      throw this.#mapError(err as Error & { code?: string }, timeoutMs);
    }
  }

  async #readReply(res: Dispatcher.ResponseData, idText: string, timeoutMs: number): Promise<Reply> {
    if (this.#sessionId === undefined) {
      const sid = res.headers['mcp-session-id'];
      if (typeof sid === 'string') {
        this.#sessionId = sid;
        this.#headers = this.#buildHeaders(undefined);
      }
    }
    const type = String(res.headers['content-type'] ?? '');
    try {
      if (type.startsWith('text/event-stream') && res.statusCode === 200) return await this.#readSse(res.body, idText);
      const raw = await readCapped(res.body, this.opts.maxMessageBytes);
      if (res.statusCode >= 200 && res.statusCode < 300 && raw.length > 0) return { raw, idText };
      // A JSON-RPC error body with a non-2xx status is still the backend's answer.
      if (raw.startsWith('{') && raw.includes('"error"')) {
        const msg = JSON.parse(raw) as { error?: unknown };
        if (msg.error) return { raw: JSON.stringify({ ...msg, id: JSON.parse(idText) as unknown }), idText };
      }
      throw new RelayError('BACKEND_PROTOCOL', `Backend "${this.name}" answered HTTP ${res.statusCode}${raw ? `: ${raw.slice(0, 200)}` : ''}`, { backend: this.name, status: res.statusCode });
    } catch (err) {
      throw this.#mapError(err as Error & { code?: string }, timeoutMs);
    }
  }

  /**
   * Resolves as soon as the awaited response event arrives, but keeps reading
   * the stream to its end: leaving it early would destroy the socket and cost
   * a new connection per request (backends end the stream right after the reply).
   */
  #readSse(body: Body, idText: string): Promise<Reply> {
    const parser = new SseParser(this.opts.maxMessageBytes);
    body.setEncoding('utf8');
    return new Promise<Reply>((resolve, reject) => {
      let reply: Reply | undefined;
      const onChunk = (chunk: string): void => {
        for (const ev of parser.push(chunk)) {
          if (!ev.data) continue;
          const msg = JSON.parse(ev.data) as JsonRpcMessage;
          if (reply === undefined && !('method' in msg) && 'id' in msg && JSON.stringify(msg.id) === idText) {
            reply = { raw: ev.data, idText };
            resolve(reply);
          } else this.handleIncoming(msg);
        }
      };
      body.on('data', (chunk: string) => {
        try {
          onChunk(chunk);
        } catch (err) {
          body.destroy();
          if (!reply) reject(err);
        }
      });
      body.on('error', (err) => {
        if (!reply) reject(err);
      });
      const closed = (): void => {
        if (!reply) reject(new RelayError('BACKEND_PROTOCOL', `Backend "${this.name}" closed the SSE stream without answering`, { backend: this.name }));
      };
      body.on('end', closed);
      body.on('close', closed);
    });
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

/** Reads a body as UTF-8, refusing more than `max` bytes. */
async function readCapped(body: Body, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    n += chunk.length;
    if (n > max) {
      body.destroy();
      throw new RelayError('BACKEND_PROTOCOL', `Backend reply exceeds max_message_bytes (${max})`);
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
}
