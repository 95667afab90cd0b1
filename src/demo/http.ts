/**
 * Serves the demo MCP server over Streamable HTTP (stateful sessions).
 *
 * Routes:
 *   POST/GET/DELETE /mcp   MCP endpoint; one transport + one Server per session
 *   GET  /stats            DemoStats JSON (shared by all sessions)
 *   POST /stats/reset      clears the stats
 *
 * Importable (`startDemoHttpServer`, used by tests) and runnable:
 *   node dist/demo/http.js [demo flags] [--host H] [--port N] [--json-response]
 * which prints exactly one stdout line: `listening on <url>`.
 */
import { randomUUID } from "node:crypto";
import { realpathSync } from "node:fs";
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pathToFileURL } from "node:url";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { exitWithError, parseDemoArgs, writeStatsOnRecord } from "./args.js";
import { createDemoServer, type DemoOptions } from "./server.js";
import { DemoStats } from "./stats.js";

export type DemoHttpOptions = DemoOptions & { host?: string; port?: number; jsonResponse?: boolean };

export interface DemoHttpServer {
  /** MCP endpoint URL, e.g. http://127.0.0.1:41234/mcp */
  url: string;
  port: number;
  stats: DemoStats;
  /** Number of live MCP sessions (handy for asserting session cleanup). */
  sessionCount(): number;
  close(): Promise<void>;
}

const MCP_PATH = "/mcp";
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** An HTTP failure answered with a JSON-RPC error body. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

// ---------------------------------------------------------------------------
// HTTP plumbing

function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(payload) });
  res.end(payload);
}

function writeRpcError(res: ServerResponse, status: number, code: number, message: string): void {
  writeJson(res, status, { jsonrpc: "2.0", error: { code, message }, id: null });
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, -32000, "Request body too large");
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw new HttpError(400, -32700, "Parse error: Invalid JSON");
  }
}

function sessionHeader(req: IncomingMessage): string | undefined {
  const value = req.headers["mcp-session-id"];
  return Array.isArray(value) ? value[0] : value;
}

function formatUrl(host: string, port: number): string {
  const hostPart = host.includes(":") ? `[${host}]` : host;
  return `http://${hostPart}:${port}${MCP_PATH}`;
}

// ---------------------------------------------------------------------------
// MCP sessions

/** Owns the live sessions: session id → transport (each with its own Server). */
class SessionTable {
  private readonly transports = new Map<string, StreamableHTTPServerTransport>();

  constructor(
    private readonly opts: DemoHttpOptions,
    private readonly stats: DemoStats,
  ) {}

  get size(): number {
    return this.transports.size;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const sessionId = sessionHeader(req);
    const body = req.method === "POST" ? await readJsonBody(req) : undefined;
    if (sessionId !== undefined) {
      const transport = this.transports.get(sessionId);
      if (transport === undefined) throw new HttpError(404, -32001, "Session not found");
      await transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== "POST" || !isInitializeRequest(body)) {
      throw new HttpError(400, -32000, "Bad Request: No valid session ID provided");
    }
    await this.open(req, res, body);
  }

  async closeAll(): Promise<void> {
    const open = [...this.transports.values()];
    this.transports.clear();
    await Promise.allSettled(open.map((transport) => transport.close()));
  }

  /** Creates a session for an initialize request. */
  private async open(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      enableJsonResponse: this.opts.jsonResponse ?? false,
      onsessioninitialized: (id) => {
        this.transports.set(id, transport);
      },
    });
    // Runs on DELETE, on closeAll() and on server.close(); the SDK chains the
    // Server's own close handling after this one when it connects.
    transport.onclose = () => {
      if (transport.sessionId !== undefined) this.transports.delete(transport.sessionId);
    };
    await createDemoServer(this.opts, this.stats).connect(transport);
    await transport.handleRequest(req, res, body);
    if (transport.sessionId === undefined) await transport.close(); // initialize was rejected
  }
}

// ---------------------------------------------------------------------------
// Server

function createRequestListener(sessions: SessionTable, stats: DemoStats) {
  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    if (pathname === MCP_PATH) return sessions.handle(req, res);
    if (pathname === "/stats" && req.method === "GET") return writeJson(res, 200, stats);
    if (pathname === "/stats/reset" && req.method === "POST") {
      stats.reset();
      return writeJson(res, 200, stats);
    }
    writeJson(res, 404, { error: "Not found" });
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((error: unknown) => respondWithError(res, error));
  };
}

function respondWithError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
  } else if (error instanceof HttpError) {
    writeRpcError(res, error.status, error.code, error.message);
  } else {
    writeRpcError(res, 500, -32603, "Internal server error");
  }
}

function listen(server: HttpServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startDemoHttpServer(opts: DemoHttpOptions): Promise<DemoHttpServer> {
  const host = opts.host ?? "127.0.0.1";
  const stats = new DemoStats();
  const sessions = new SessionTable(opts, stats);
  const httpServer = createServer(createRequestListener(sessions, stats));
  const port = await listen(httpServer, opts.port ?? 0, host);

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await sessions.closeAll();
    await new Promise<void>((resolve) => {
      httpServer.close(() => resolve());
      httpServer.closeAllConnections();
    });
  };
  return {
    url: formatUrl(host, port),
    port,
    stats,
    sessionCount: () => sessions.size,
    close: () => (closing ??= close()),
  };
}

// ---------------------------------------------------------------------------
// Direct execution

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  let cli;
  try {
    cli = parseDemoArgs(process.argv.slice(2), "http");
  } catch (error) {
    exitWithError("demo-http", error);
  }
  const handle = await startDemoHttpServer({
    ...cli.demo,
    ...(cli.host !== undefined && { host: cli.host }),
    ...(cli.port !== undefined && { port: cli.port }),
    jsonResponse: cli.jsonResponse,
  });
  if (cli.statsFile !== undefined) writeStatsOnRecord(handle.stats, cli.statsFile);
  const shutdown = (): void => {
    handle.close().finally(() => process.exit(0));
  };
  process.once("SIGINT", shutdown);
  process.once("SIGTERM", shutdown);
  process.stdout.write(`listening on ${handle.url}\n`);
}

if (isMainModule()) {
  main().catch((error: unknown) => {
    process.stderr.write(`demo-http: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
