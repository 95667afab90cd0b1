/**
 * Client sessions. A session holds what the proxy must remember per client:
 * negotiated protocol version, requests in flight (for cancellation), its
 * log level, resource subscriptions, and where server-initiated messages go
 * (the HTTP GET stream, or stdout in --stdio mode). Bounded: max_sessions, and
 * sessions idle longer than session_idle_seconds are closed by one sweep timer.
 * Backend sessions are shared per backend; see ARCHITECTURE.md.
 */
import { randomUUID } from 'node:crypto';
import type { CancelTicket, ServerRequestAnswer } from '../backends/backend.js';
import { RelayError } from '../errors.js';
import type { Route } from '../catalog/catalog.js';
import type { Principal } from './auth.js';
import type { ReplayLog } from './replay.js';

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

export class Session {
  readonly id: string;
  protocolVersion: string;
  readonly inflight = new Map<string, CancelTicket>();
  /** Exposed resource URI → its route, for the URIs this session subscribed to. */
  readonly subscriptions = new Map<string, Route>();
  lastSeen = Date.now();
  logLevel = 0;
  /** The token the session was opened with ([auth]); only that token may use it. */
  principal: Principal | undefined;
  /** What the client declared at initialize (decides which server→client requests it is asked). */
  clientCapabilities: Record<string, unknown> = {};
  /** The server→client methods this client may be asked: [proxy] client_features it declared. */
  readonly askable = new Set<string>();
  /** Server→client requests relayed to this client and awaiting its answer, by the id the proxy gave them. */
  readonly asked = new Map<string, (answer: ServerRequestAnswer) => void>();
  /**
   * Delivers a server→client message not tied to a request; undefined when nobody listens.
   * With a resumable GET stream it stays set between connections (messages are logged for replay).
   */
  push: ((json: string) => void) | undefined;
  /** True while a stream for server messages is connected (GET stream, or stdout). */
  streamOpen = false;
  /** Messages for the GET stream, kept for Last-Event-ID replay (created by the first GET). */
  replay: ReplayLog | undefined;
  /** Ends the open GET stream, if any (one at a time: the front end replaces it). */
  closeStream: (() => void) | undefined;
  onClose: (() => void) | undefined;

  constructor(id: string, protocolVersion: string) {
    this.id = id;
    this.protocolVersion = protocolVersion;
  }

  setLogLevel(level: string): boolean {
    const i = LOG_LEVELS.indexOf(level);
    if (i < 0) return false;
    this.logLevel = i;
    return true;
  }

  wantsLog(level: unknown): boolean {
    const i = LOG_LEVELS.indexOf(String(level));
    return i < 0 || i >= this.logLevel;
  }

  close(): void {
    for (const t of this.inflight.values()) t.cancel?.('session closed');
    this.inflight.clear();
    for (const answer of this.asked.values()) answer({ error: { code: -32603, message: 'The client session closed' } });
    this.asked.clear();
    this.closeStream?.();
    this.onClose?.();
    this.push = undefined;
    this.replay?.dispose();
    this.replay = undefined;
  }
}

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #max: number;
  readonly #idleMs: number;
  readonly #sweep: NodeJS.Timeout;

  constructor(max: number, idleSeconds: number) {
    this.#max = max;
    this.#idleMs = idleSeconds * 1000;
    this.#sweep = setInterval(() => this.#expire(), Math.min(60_000, this.#idleMs));
    this.#sweep.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Sessions with a connected stream for server messages (an HTTP GET stream, or stdout). */
  get streams(): number {
    let n = 0;
    for (const s of this.#sessions.values()) if (s.streamOpen) n++;
    return n;
  }

  create(protocolVersion: string): Session {
    if (this.#sessions.size >= this.#max) this.#expire();
    if (this.#sessions.size >= this.#max) throw new RelayError('SESSION_LIMIT', `Too many open sessions (max_sessions = ${this.#max})`);
    const s = new Session(randomUUID(), protocolVersion);
    this.#sessions.set(s.id, s);
    return s;
  }

  /** The session, if it exists and was opened with `principal` ([auth]); marks it used. */
  get(id: string, principal?: Principal): Session | undefined {
    const s = this.#sessions.get(id);
    if (!s || s.principal !== principal) return undefined;
    s.lastSeen = Date.now();
    return s;
  }

  delete(id: string): boolean {
    const s = this.#sessions.get(id);
    if (!s) return false;
    this.#sessions.delete(id);
    s.close();
    return true;
  }

  /** Sends a message to every session that has somewhere to receive it. */
  broadcast(json: string, filter?: (s: Session) => boolean): void {
    for (const s of this.#sessions.values()) if (s.push && (!filter || filter(s))) s.push(json);
  }

  closeAll(): void {
    clearInterval(this.#sweep);
    for (const id of [...this.#sessions.keys()]) this.delete(id);
  }

  #expire(): void {
    const cutoff = Date.now() - this.#idleMs;
    for (const [id, s] of this.#sessions) if (s.lastSeen < cutoff && s.inflight.size === 0 && !s.streamOpen) this.delete(id);
  }
}
