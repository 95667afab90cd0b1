/**
 * Streamable HTTP front end (MCP 2025-03-26, 2025-06-18, 2025-11-25) on node:http.
 *   POST  one message (or a batch on 2025-03-26) → JSON reply, or SSE once something
 *         must precede the result (progress, or a sampling/elicitation request relayed
 *         from the backend to this client); a client's answers to those arrive as POSTs
 *   GET   the session's stream for server-initiated notifications
 *   DELETE ends the session
 * Checks, cheapest first: path → Origin/Host → method → headers → body size →
 * JSON → envelope → session → protocol version. Every refusal is a JSON-RPC
 * error body with the status the spec gives. /admin/* is served by admin/routes.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { RelayConfig } from '../config/schema.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from '../config/defaults.js';
import { RelayError, toRpcError } from '../errors.js';
import { classify, errorText, idJson, progressTokenOf, resultText, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../util/jsonrpc.js';
import { sseMessage } from '../util/sse.js';
import type { Logger } from '../util/log.js';
import type { Dispatcher } from './dispatch.js';
import type { Session, SessionStore } from './session.js';
import { isAllowedOrigin, isAllowedHost } from './origin.js';
import { createAuthenticator, type Principal } from './auth.js';
import { ReplayLog } from './replay.js';

export type AdminHandler = (req: IncomingMessage, res: ServerResponse, path: string) => void;

const VERSIONS = new Set<string>(SUPPORTED_PROTOCOL_VERSIONS);
const KEEPALIVE_MS = 15_000;
/** A GET stream whose client stopped reading is closed once this much is buffered. */
const MAX_STREAM_BACKLOG = 4 * 1024 * 1024;
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' };

export interface HttpFrontOptions {
  config: RelayConfig;
  dispatcher: Dispatcher;
  sessions: SessionStore;
  log: Logger;
  admin: AdminHandler;
}

export function createHttpFront(opts: HttpFrontOptions): Server {
  const { config, log } = opts;
  const mcpPath = config.proxy.http.path;
  const loopbackOnly = ['127.0.0.1', 'localhost', '::1'].includes(config.proxy.listen.host);
  const authenticate = createAuthenticator(config);
  const streams = new Set<ServerResponse>();
  const keepalive = setInterval(() => {
    for (const s of streams) {
      if (s.writableLength > MAX_STREAM_BACKLOG) s.destroy();
      else s.write(': keepalive\n\n');
    }
  }, KEEPALIVE_MS);
  keepalive.unref();

  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    try {
      // DNS-rebinding protection covers the admin API too (mirror samples hold real arguments).
      if (!isAllowedOrigin(req.headers.origin, config.proxy.http.allowed_origins)) throw new RelayError('ORIGIN_FORBIDDEN', `Origin ${req.headers.origin} is not allowed`);
      if (loopbackOnly && !isAllowedHost(req.headers.host, config.proxy.http.allowed_origins)) throw new RelayError('ORIGIN_FORBIDDEN', `Host ${req.headers.host} is not allowed for a loopback listener`);
      if (path === mcpPath) {
        // [auth]: before anything is read or parsed
        const principal = authenticate?.(req);
        if (req.method === 'POST') return void handlePost(req, res, principal).catch((err: unknown) => fail(res, err));
        if (req.method === 'GET') return handleGet(req, res, principal);
        if (req.method === 'DELETE') return handleDelete(req, res, principal);
        res.setHeader('allow', 'GET, POST, DELETE');
        throw new RelayError('METHOD_NOT_ALLOWED', `HTTP ${req.method} is not allowed on ${mcpPath}`);
      }
      if (path.startsWith('/admin/') || path === '/admin') return opts.admin(req, res, path);
      throw new RelayError('NOT_FOUND', `No such path: ${path} (the MCP endpoint is ${mcpPath})`);
    } catch (err) {
      fail(res, err);
    }
  });
  server.on('close', () => clearInterval(keepalive));
  server.on('clientError', (_err, socket) => socket.destroy());

  function session(req: IncomingMessage, principal: Principal | undefined): Session {
    const sid = req.headers['mcp-session-id'];
    if (typeof sid !== 'string' || sid === '') throw new RelayError('SESSION_REQUIRED', 'Bad Request: Mcp-Session-Id header is required');
    // a session opened with another token looks exactly like an unknown one
    const s = opts.sessions.get(sid, principal);
    if (!s) throw new RelayError('SESSION_NOT_FOUND', 'Session not found; initialize a new session', { sessionId: sid });
    return s;
  }

  function checkVersion(req: IncomingMessage): void {
    const v = req.headers['mcp-protocol-version'];
    if (v !== undefined && !VERSIONS.has(v as string)) {
      throw new RelayError('UNSUPPORTED_PROTOCOL_VERSION', `Bad Request: unsupported MCP-Protocol-Version ${String(v)} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`, { supported: SUPPORTED_PROTOCOL_VERSIONS });
    }
  }

  async function handlePost(req: IncomingMessage, res: ServerResponse, principal: Principal | undefined): Promise<void> {
    const type = req.headers['content-type'];
    if (!type || !type.includes('application/json')) throw new RelayError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type: Content-Type must be application/json');
    const accept = req.headers.accept ?? '*/*';
    if (!accept.includes('application/json') && !accept.includes('text/event-stream') && !accept.includes('*/*')) {
      throw new RelayError('NOT_ACCEPTABLE', 'Not Acceptable: Accept must include application/json and text/event-stream');
    }
    const body = await readBody(req, config.proxy.http.max_body_bytes);
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new RelayError('PARSE_ERROR', 'Parse error: the body is not valid JSON');
    }
    if (Array.isArray(parsed)) return handleBatch(req, res, parsed, principal);
    const kind = classify(parsed);
    const msg = parsed as JsonRpcMessage;
    if (kind === 'request' && (msg as JsonRpcRequest).method === 'initialize') return handleInitialize(req, res, msg as JsonRpcRequest, principal);
    const s = session(req, principal);
    checkVersion(req);
    if (kind === 'notification') {
      opts.dispatcher.notification(s, msg as JsonRpcNotification);
      return void res.writeHead(202).end();
    }
    if (kind === 'response') {
      clientAnswer(s, msg as JsonRpcResponse);
      return void res.writeHead(202).end();
    }
    const request = msg as JsonRpcRequest;
    const progress = progressTokenOf(request.params) !== undefined;
    // Only progress and relayed server→client requests need a stream; everything else is plain JSON.
    if ((!progress && s.askable.size === 0) || (!accept.includes('text/event-stream') && !accept.includes('*/*'))) {
      return sendJson(res, 200, await opts.dispatcher.request(s, request));
    }
    // A client that drops the connection before the reply has cancelled the call (and any
    // question relayed to it on this stream with it).
    const key = idJson(request.id);
    res.on('close', () => {
      if (!res.writableEnded) s.inflight.get(key)?.cancel?.('the client closed the connection');
    });
    // The reply is JSON unless something must be sent before it (progress, or a request
    // relayed from the backend): then it becomes an SSE stream, opened at the first such message.
    let sse = progress;
    if (sse) res.writeHead(200, SSE_HEADERS);
    const json = await opts.dispatcher.request(s, request, (n) => {
      if (!sse) {
        sse = true;
        res.writeHead(200, SSE_HEADERS);
      }
      res.write(sseMessage(n));
    });
    if (sse) res.end(sseMessage(json));
    else sendJson(res, 200, json);
  }

  /** A client's answer to a relayed sampling/elicitation/roots request (unknown ids are dropped). */
  function clientAnswer(s: Session, msg: JsonRpcResponse): void {
    if (!opts.dispatcher.response(s, msg)) log.debug({ session: s.id, id: msg.id }, 'response to no pending request ignored');
  }

  function handleInitialize(req: IncomingMessage, res: ServerResponse, msg: JsonRpcRequest, principal: Principal | undefined): void {
    if (req.headers['mcp-session-id'] !== undefined) throw new RelayError('INVALID_REQUEST', 'Bad Request: initialize must not carry Mcp-Session-Id (the session is already initialized)');
    const { session: s, result } = opts.dispatcher.startSession(opts.sessions, msg.params, principal);
    res.setHeader('mcp-session-id', s.id);
    log.debug({ session: s.id, version: s.protocolVersion, client: (msg.params?.clientInfo as Record<string, unknown> | undefined)?.name, token: principal?.label }, 'session initialized');
    sendJson(res, 200, resultText(idJson(msg.id), result));
  }

  async function handleBatch(req: IncomingMessage, res: ServerResponse, batch: unknown[], principal: Principal | undefined): Promise<void> {
    if (batch.length === 0) throw new RelayError('INVALID_REQUEST', 'Invalid Request: empty batch');
    const s = session(req, principal);
    checkVersion(req);
    if (s.protocolVersion !== '2025-03-26') throw new RelayError('BATCH_NOT_ALLOWED', `JSON-RPC batches are not allowed in protocol version ${s.protocolVersion}`);
    if (batch.length > config.proxy.http.max_batch) throw new RelayError('BATCH_TOO_LARGE', `Batch of ${batch.length} messages exceeds proxy.http.max_batch (${config.proxy.http.max_batch})`);
    const replies = await Promise.all(
      batch.map(async (m): Promise<string | undefined> => {
        let kind;
        try {
          kind = classify(m);
        } catch (err) {
          return errorText('null', toRpcError(err));
        }
        const msg = m as JsonRpcMessage;
        if (kind === 'notification') opts.dispatcher.notification(s, msg as JsonRpcNotification);
        if (kind === 'response') clientAnswer(s, msg as JsonRpcResponse);
        if (kind !== 'request') return undefined;
        if ((msg as JsonRpcRequest).method === 'initialize') return errorText(idJson((msg as JsonRpcRequest).id), toRpcError(new RelayError('INVALID_REQUEST', 'initialize must not be part of a batch')));
        return opts.dispatcher.request(s, msg as JsonRpcRequest);
      }),
    );
    const out = replies.filter((r): r is string => r !== undefined);
    if (!out.length) return void res.writeHead(202).end();
    sendJson(res, 200, `[${out.join(',')}]`);
  }

  function handleGet(req: IncomingMessage, res: ServerResponse, principal: Principal | undefined): void {
    const accept = req.headers.accept ?? '';
    if (!accept.includes('text/event-stream')) throw new RelayError('NOT_ACCEPTABLE', 'Not Acceptable: GET needs Accept: text/event-stream');
    const s = session(req, principal);
    checkVersion(req);
    if (s.streamOpen) throw new RelayError('STREAM_CONFLICT', 'Conflict: this session already has a GET stream');
    res.writeHead(200, SSE_HEADERS);
    const replay = (s.replay ??= new ReplayLog());
    // What the client missed since the event it names, then a priming event (2025-11-25) so
    // a client that has seen nothing yet still has an id to resume from.
    const lastEventId = req.headers['last-event-id'];
    let backlog = '';
    if (typeof lastEventId === 'string') for (const e of replay.since(lastEventId)) backlog += sseMessage(e.json, e.id);
    if (s.protocolVersion >= '2025-11-25') backlog += `id: ${replay.lastId}\ndata: \n\n`;
    if (backlog) res.write(backlog);
    else res.flushHeaders();
    streams.add(res);
    const push = (json: string): void => {
      const id = replay.add(json);
      if (res.writableLength > MAX_STREAM_BACKLOG) {
        log.warn({ session: s.id }, 'GET stream client is not reading; closing the stream');
        res.destroy();
        return;
      }
      res.write(sseMessage(json, id));
    };
    s.push = push;
    s.streamOpen = true;
    const done = (): void => {
      streams.delete(res);
      if (s.push === push) {
        // keep logging for a client that reconnects with Last-Event-ID
        s.push = (json) => void replay.add(json);
        s.streamOpen = false;
      }
      if (s.closeStream === end) s.closeStream = undefined;
    };
    const end = (): void => {
      done();
      res.end();
    };
    res.on('close', done);
    s.closeStream = end;
  }

  function handleDelete(req: IncomingMessage, res: ServerResponse, principal: Principal | undefined): void {
    const s = session(req, principal);
    opts.sessions.delete(s.id);
    res.writeHead(200).end();
  }

  function fail(res: ServerResponse, err: unknown): void {
    if (res.headersSent) {
      if (!res.writableEnded) res.end();
      return;
    }
    const status = err instanceof RelayError ? err.httpStatus : 500;
    if (err instanceof RelayError && (err.code === 'AUTH_REQUIRED' || err.code === 'AUTH_INVALID')) {
      res.setHeader('www-authenticate', err.code === 'AUTH_INVALID' ? 'Bearer realm="mcp-relay", error="invalid_token"' : 'Bearer realm="mcp-relay"');
    }
    if (status >= 500) log.error({ err: err instanceof Error ? err.stack : String(err) }, 'request failed');
    sendJson(res, status, errorText('null', toRpcError(err)));
  }

  return server;
}

function sendJson(res: ServerResponse, status: number, json: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

/** Buffers a request body, refusing (413) more than `max` bytes. */
function readBody(req: IncomingMessage, max: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > max) {
    req.resume();
    return Promise.reject(new RelayError('BODY_TOO_LARGE', `Payload Too Large: ${declared} bytes exceeds ${max}`, { limit: max }));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        req.removeAllListeners('data');
        req.resume();
        reject(new RelayError('BODY_TOO_LARGE', `Payload Too Large: body exceeds ${max} bytes`, { limit: max }));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
