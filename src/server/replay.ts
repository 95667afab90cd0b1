/**
 * Resumability of a session's GET stream (MCP Streamable HTTP: SSE `id` + `Last-Event-ID`).
 * Once a session has opened a GET stream, every server message for it gets an event id
 * (`g<n>`, "g" for the GET stream: POST reply streams are not resumable) and is kept in a
 * bounded log, also while no stream is open, so a client that reconnects with
 * `Last-Event-ID: g<n>` gets what it missed, in order, before live messages. A log keeps
 * the newest MAX_EVENTS messages and at most MAX_BYTES, and all logs together at most
 * TOTAL_MAX_BYTES (a log over its share of that drops its oldest first); older messages are
 * gone for good.
 */
const MAX_EVENTS = 128;
const MAX_BYTES = 256 * 1024;
const TOTAL_MAX_BYTES = 64 * 1024 * 1024;
/** Bytes held by every live log in this process. */
let totalBytes = 0;

export class ReplayLog {
  readonly #events: { seq: number; json: string }[] = [];
  #bytes = 0;
  #seq = 0;

  /** Records a message; returns its event id. */
  add(json: string): string {
    const seq = ++this.#seq;
    this.#events.push({ seq, json });
    this.#bytes += json.length;
    totalBytes += json.length;
    while (this.#events.length > 1 && (this.#events.length > MAX_EVENTS || this.#bytes > MAX_BYTES || totalBytes > TOTAL_MAX_BYTES)) this.#drop();
    return `g${seq}`;
  }

  /** Releases the log's memory (the session ended). */
  dispose(): void {
    while (this.#events.length) this.#drop();
  }

  #drop(): void {
    const n = this.#events.shift()!.json.length;
    this.#bytes -= n;
    totalBytes -= n;
  }

  /** The id of the newest message (`g0` before any): what a priming event carries. */
  get lastId(): string {
    return `g${this.#seq}`;
  }

  /** Messages after `lastEventId`, oldest first; empty when the id is not one of this log's. */
  since(lastEventId: string): { id: string; json: string }[] {
    const m = /^g(\d{1,15})$/.exec(lastEventId);
    if (!m) return [];
    const after = Number(m[1]);
    if (after > this.#seq) return [];
    return this.#events.filter((e) => e.seq > after).map((e) => ({ id: `g${e.seq}`, json: e.json }));
  }
}
