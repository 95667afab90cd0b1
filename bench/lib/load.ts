/**
 * The client side: MCP sessions and the measured load.
 *
 * openSession(): initialize → notifications/initialized → one verified echo call,
 * all before timing, like a real client. runLoad(): autocannon (programmatic,
 * pipelining 1, in this process) sending tools/call echo with a fresh counter N
 * per request ({n:N, msg:"hello N"}, JSON-RPC id N). Every response is parsed
 * (JSON or SSE `data:` lines) and must carry id N and text {"n":N,"msg":"hello N"};
 * anything else is a mismatch. Latency in µs goes into an HDR histogram from
 * autocannon's per-response 'response' event (hrtime based; autocannon's own
 * histogram is 1 ms resolution).
 */
import autocannon from 'autocannon';
import { request } from 'undici';
import { encode, newHistogram, summarize, type LatencySummary } from './histogram.js';

export const PROTOCOL_VERSION = '2025-11-25';
const BASE_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

export interface Session {
  url: string;
  sid: string;
  tool: string;
  contentType: string;
  /** Sent with every request of the session (e.g. Authorization for a proxy with [auth]). */
  headers: Record<string, string>;
}

/** Extracts the JSON-RPC response from a JSON or SSE body (the message that has an id). */
export function parseReply(body: string): { id?: unknown; result?: { content?: { text?: unknown }[] }; error?: unknown } | undefined {
  const t = body.charCodeAt(0);
  if (t === 123 /* { */) return JSON.parse(body) as ReturnType<typeof parseReply>;
  // SSE: events separated by blank lines; data lines joined with \n
  let data: string[] = [];
  const flush = (): ReturnType<typeof parseReply> => {
    if (!data.length) return undefined;
    const text = data.join('\n');
    data = [];
    if (!text.trim()) return undefined;
    const msg = JSON.parse(text) as ReturnType<typeof parseReply> & { method?: string };
    return msg && msg.id !== undefined && msg.method === undefined ? msg : undefined;
  };
  for (const raw of body.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') {
      const m = flush();
      if (m) return m;
    } else if (line.startsWith('data:')) data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
  }
  return flush();
}

/** True when `body` answers echo call N. */
export function checkEcho(body: string, n: number): boolean {
  try {
    const msg = parseReply(body);
    if (!msg || msg.id !== n) return false;
    const text = msg.result?.content?.[0]?.text;
    if (typeof text !== 'string') return false;
    const args = JSON.parse(text) as { n?: unknown; msg?: unknown };
    return args.n === n && args.msg === `hello ${n}`;
  } catch {
    return false;
  }
}

export function echoBody(tool: string, n: number): string {
  return `{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":{"name":${JSON.stringify(tool)},"arguments":{"n":${n},"msg":"hello ${n}"}}}`;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const res = await request(url, { method: 'POST', headers: { ...BASE_HEADERS, ...headers }, body, headersTimeout: 15_000, bodyTimeout: 15_000 });
  // A SSE reply may keep the stream open after the answer; read until the answer is there.
  let text = '';
  res.body.setEncoding('utf8');
  for await (const chunk of res.body as AsyncIterable<string>) {
    text += chunk;
    if (/\n\n/.test(text) && String(res.headers['content-type'] ?? '').startsWith('text/event-stream') && parseSafe(text)) {
      res.body.destroy();
      break;
    }
  }
  return { status: res.statusCode, headers: res.headers, text };
}

function parseSafe(text: string): boolean {
  try {
    return parseReply(text) !== undefined;
  } catch {
    return false;
  }
}

let sessionCounter = 1_000_000_000;

/** Opens and verifies one MCP session; throws with the server's answer when anything is off. */
export async function openSession(url: string, tool: string, extraHeaders: Record<string, string> = {}): Promise<Session> {
  const init = await post(url, JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcp-relay-bench', version: '1.0.0' } } }), extraHeaders);
  const sid = init.headers['mcp-session-id'];
  if (init.status !== 200 || typeof sid !== 'string') throw new Error(`initialize failed at ${url}: HTTP ${init.status}, session ${String(sid)}: ${init.text.slice(0, 300)}`);
  const headers = { ...extraHeaders, 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL_VERSION };
  const note = await post(url, '{"jsonrpc":"2.0","method":"notifications/initialized"}', headers);
  if (note.status !== 202 && note.status !== 200) throw new Error(`notifications/initialized failed at ${url}: HTTP ${note.status}: ${note.text.slice(0, 300)}`);
  const n = sessionCounter++;
  const call = await post(url, echoBody(tool, n), headers);
  if (call.status !== 200 || !checkEcho(call.text, n)) throw new Error(`verification call ${tool} failed at ${url}: HTTP ${call.status}: ${call.text.slice(0, 300)}`);
  return { url, sid, tool, contentType: String(call.headers['content-type'] ?? ''), headers: extraHeaders };
}

/**
 * Ends a session with DELETE. Waits `settleMs` first: autocannon stops with calls
 * still in flight, and DELETE cancels a session's in-flight calls (which is not
 * what a cell is meant to measure).
 */
export async function closeSession(s: Session, settleMs = 250): Promise<void> {
  await new Promise((r) => setTimeout(r, settleMs));
  try {
    const res = await request(s.url, { method: 'DELETE', headers: { ...s.headers, 'mcp-session-id': s.sid, 'mcp-protocol-version': PROTOCOL_VERSION }, headersTimeout: 3_000 });
    await res.body.dump();
  } catch {
    /* best effort */
  }
}

export interface LoadOptions {
  connections: number;
  durationS: number;
  /** Offered load in req/s over all connections (autocannon overallRate); unset = closed loop. */
  rate?: number;
  onTick?: (t: { elapsedS: number; ok: number; errors: number; mismatches: number }) => void;
}

export interface LoadResult {
  connections: number;
  durationS: number;
  ok: number;
  reqPerS: number;
  sent: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  mismatches: number;
  latency: LatencySummary;
  /** autocannon's own (1 ms resolution) numbers, kept for reference. */
  acLatencyMs: { p50: number; p99: number; max: number };
  hist: string;
  contentType: string;
}

let counter = 1;

export function runLoad(s: Session, opts: LoadOptions): Promise<LoadResult> {
  const hist = newHistogram();
  let ok = 0;
  let mismatches = 0;
  let non2xx = 0;
  let contentType = '';
  const headers = { ...BASE_HEADERS, ...s.headers, 'mcp-session-id': s.sid, 'mcp-protocol-version': PROTOCOL_VERSION };
  const u = new URL(s.url);
  const acOpts: autocannon.Options = {
    url: u.origin,
    connections: opts.connections,
    duration: opts.durationS,
    pipelining: 1,
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: u.pathname,
        headers,
        setupRequest(req, ctx) {
          const n = counter++;
          ctx.n = n;
          req.body = echoBody(s.tool, n);
          return req;
        },
        onResponse(status, body, ctx, h) {
          if (status < 200 || status > 299) {
            non2xx++;
            return;
          }
          if (checkEcho(body, ctx.n as number)) ok++;
          else mismatches++;
          if (!contentType) contentType = String(h['content-type'] ?? h['Content-Type'] ?? '');
        },
      },
    ],
  };
  if (opts.rate) acOpts.overallRate = opts.rate;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let errors = 0;
    const inst = autocannon(acOpts, (err, res) => {
      clearInterval(ticker);
      if (err) return reject(err);
      const durationS = (performance.now() - started) / 1000;
      resolve({
        connections: opts.connections,
        durationS,
        ok,
        reqPerS: ok / durationS,
        sent: res.requests.sent,
        non2xx,
        errors: res.errors,
        timeouts: res.timeouts,
        mismatches,
        latency: summarize(hist),
        acLatencyMs: { p50: res.latency.p50, p99: res.latency.p99, max: res.latency.max },
        hist: encode(hist),
        contentType,
      });
      hist.destroy();
    });
    inst.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => {
      hist.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
    });
    inst.on('reqError', () => errors++);
    const ticker = setInterval(() => opts.onTick?.({ elapsedS: (performance.now() - started) / 1000, ok, errors, mismatches }), 1000);
  });
}
