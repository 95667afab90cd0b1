/**
 * Incremental Server-Sent Events parser (WHATWG event-stream rules, the subset
 * MCP uses: data, id, event, retry, comments). Bounded: an event larger than
 * `maxEventBytes` throws instead of growing the buffer.
 */

export interface SseEvent {
  data: string;
  event?: string;
  id?: string;
}

export class SseParser {
  #buf = '';
  #data: string[] = [];
  #dataBytes = 0;
  #event: string | undefined;
  #id: string | undefined;
  readonly #max: number;

  constructor(maxEventBytes: number) {
    this.#max = maxEventBytes;
  }

  /** Feeds a chunk; returns the events it completed. Scans only the new bytes for line ends. */
  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    if (chunk.indexOf('\n') < 0) {
      this.#buf += chunk;
      if (this.#buf.length > this.#max) throw new Error(`SSE event exceeds ${this.#max} bytes`);
      return out;
    }
    this.#buf += chunk;
    let start = 0;
    for (;;) {
      const nl = this.#buf.indexOf('\n', start);
      if (nl < 0) break;
      let line = this.#buf.slice(start, nl);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      start = nl + 1;
      this.#line(line, out);
    }
    this.#buf = this.#buf.slice(start);
    if (this.#buf.length > this.#max) throw new Error(`SSE event exceeds ${this.#max} bytes`);
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.#data.length) {
        const ev: SseEvent = { data: this.#data.join('\n') };
        if (this.#event !== undefined) ev.event = this.#event;
        if (this.#id !== undefined) ev.id = this.#id;
        out.push(ev);
      }
      this.#data = [];
      this.#dataBytes = 0;
      this.#event = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') {
      this.#dataBytes += value.length;
      if (this.#dataBytes > this.#max) throw new Error(`SSE event exceeds ${this.#max} bytes`);
      this.#data.push(value);
    } else if (field === 'event') this.#event = value;
    else if (field === 'id') this.#id = value;
  }
}

/** One SSE event carrying a JSON-RPC message, as written to clients. */
export function sseMessage(json: string, id?: string): string {
  return id === undefined ? `event: message\ndata: ${json}\n\n` : `event: message\nid: ${id}\ndata: ${json}\n\n`;
}
