/**
 * One request/response exchange with a Streamable HTTP backend (see http.ts).
 */
import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import { RelayError } from '../errors.js';
import type { JsonRpcMessage } from '../util/jsonrpc.js';
import { SseParser } from '../util/sse.js';
import type { Reply } from './backend.js';
import type { HttpBackend } from './http.js';

/**
 * One request/response with an HTTP backend, as one object: it is the undici
 * dispatch handler (its methods receive the response), owns the deadline timer
 * (a static callback, no closure) and settles the caller's promise once.
 * JSON replies are collected as Buffers; SSE replies are parsed as chunks
 * arrive and settle on the awaited response while the stream is read to its
 * end (so the socket is reused).
 */
export class Exchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  #retried = false;
  #sessionUsed: string | undefined;
  #status = 0;
  #sse: SseParser | undefined;
  #decoder: StringDecoder | undefined;
  #chunks: Buffer[] = [];
  #size = 0;

  constructor(
    private readonly backend: HttpBackend,
    private readonly idText: string,
    private readonly text: string,
    private readonly timeoutMs: number,
    private readonly resolve: (r: Reply) => void,
    private readonly reject: (e: Error) => void,
  ) {}

  start(): void {
    this.#timer = setTimeout(onDeadline, this.timeoutMs, this);
    this.#send();
  }

  #send(): void {
    this.#sessionUsed = this.backend.sessionId;
    this.#status = 0;
    this.#sse = undefined;
    this.#chunks = [];
    this.#size = 0;
    this.backend.dispatch(this, this.text, this.timeoutMs);
  }

  cancel(reason: string, err: RelayError): void {
    if (this.#done) return;
    this.backend.cancelUpstream(this.idText, reason);
    this.#controller?.abort(err);
    this.#fail(err);
  }

  #ok(reply: Reply): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.resolve(reply);
  }

  #fail(err: Error): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    this.reject(err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.#status = statusCode;
    const sid = headers['mcp-session-id'];
    if (typeof sid === 'string') this.backend.adoptSession(sid);
    const type = headers['content-type'];
    if (statusCode === 200 && typeof type === 'string' && type.startsWith('text/event-stream')) {
      this.#sse = new SseParser(this.backend.maxMessageBytes);
      this.#decoder = new StringDecoder('utf8');
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#sse) {
      try {
        for (const ev of this.#sse.push(this.#decoder!.write(chunk))) {
          if (!ev.data) continue;
          const msg = JSON.parse(ev.data) as JsonRpcMessage;
          if (!this.#done && !('method' in msg) && 'id' in msg && JSON.stringify(msg.id) === this.idText) this.#ok({ raw: ev.data, idText: this.idText });
          else this.backend.incoming(msg, this.idText);
        }
      } catch (err) {
        controller.abort(new RelayError('BACKEND_PROTOCOL', `Backend "${this.backend.name}" sent a bad SSE event: ${(err as Error).message}`, { backend: this.backend.name }));
      }
      return;
    }
    this.#size += chunk.length;
    const max = this.backend.maxMessageBytes;
    if (this.#size > max) controller.abort(new RelayError('BACKEND_PROTOCOL', `Backend "${this.backend.name}" reply exceeds max_message_bytes (${max})`, { backend: this.backend.name }));
    else this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#done) return;
    const name = this.backend.name;
    if (this.#sse) return this.#fail(new RelayError('BACKEND_PROTOCOL', `Backend "${name}" closed the SSE stream without answering`, { backend: name }));
    const chunks = this.#chunks;
    const raw = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    const status = this.#status;
    if (status >= 200 && status < 300 && raw.length > 0) return this.#ok({ raw, idText: this.idText });
    if (status === 404 && this.#sessionUsed !== undefined && this.backend.state === 'ready' && !this.#retried) {
      this.#retried = true;
      this.backend.reinitialize(this.#sessionUsed).then(
        () => {
          if (!this.#done) this.#send();
        },
        (err: Error) => this.#fail(err),
      );
      return;
    }
    // A JSON-RPC error body with a non-2xx status is still the backend's answer.
    if (raw.startsWith('{') && raw.includes('"error"')) {
      try {
        const msg = JSON.parse(raw) as { error?: unknown };
        if (msg.error) return this.#ok({ raw: JSON.stringify({ ...msg, id: JSON.parse(this.idText) as unknown }), idText: this.idText });
      } catch {
        // not JSON: the protocol error below
      }
    }
    this.#fail(new RelayError('BACKEND_PROTOCOL', `Backend "${name}" answered HTTP ${status}${raw ? `: ${raw.slice(0, 200)}` : ''}`, { backend: name, status }));
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.#fail(this.backend.mapError(err as Error & { code?: string }, this.timeoutMs));
  }

  /** Called by the deadline timer. */
  expire(): void {
    this.cancel('timeout', new RelayError('BACKEND_TIMEOUT', `Backend "${this.backend.name}" did not answer within ${this.timeoutMs} ms`, { backend: this.backend.name, timeoutMs: this.timeoutMs }));
  }
}

function onDeadline(ex: Exchange): void {
  ex.expire();
}
