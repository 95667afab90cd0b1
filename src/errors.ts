/**
 * The one error catalogue. Every error mcp-relay produces itself has a stable
 * string code (`data.code` on the wire), a JSON-RPC code and, where the error
 * ends an HTTP exchange before JSON-RPC dispatch, an HTTP status.
 *
 * Backend JSON-RPC errors are NOT in this table: they are relayed unchanged
 * (code, message and data), because the client must see what the backend said.
 *
 * docs/errors.md lists every code; test/errors.test.ts keeps the two in sync.
 */

/** Standard JSON-RPC 2.0 codes. */
export const JSONRPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

interface ErrorSpec {
  /** JSON-RPC error code sent to the client. */
  readonly rpc: number;
  /** HTTP status when the error is returned before/instead of a JSON-RPC reply. */
  readonly http: number;
  /** One-line description (docs, and default message). */
  readonly summary: string;
}

/**
 * Gateway-defined codes live in -32000..-32019, the range MCP leaves to
 * implementations. -32000 and -32001 are avoided on purpose: the SDK uses them
 * for "connection closed" and "request timeout"/"session not found".
 */
export const ERRORS = {
  PARSE_ERROR: { rpc: JSONRPC.PARSE_ERROR, http: 400, summary: 'The body is not valid JSON.' },
  INVALID_REQUEST: { rpc: JSONRPC.INVALID_REQUEST, http: 400, summary: 'The body is not a valid JSON-RPC 2.0 message.' },
  BATCH_NOT_ALLOWED: { rpc: JSONRPC.INVALID_REQUEST, http: 400, summary: 'JSON-RPC batches are only allowed for protocol version 2025-03-26.' },
  BATCH_TOO_LARGE: { rpc: JSONRPC.INVALID_REQUEST, http: 400, summary: 'A batch holds more messages than allowed.' },
  METHOD_NOT_FOUND: { rpc: JSONRPC.METHOD_NOT_FOUND, http: 200, summary: 'The method is not supported by mcp-relay.' },
  INVALID_PARAMS: { rpc: JSONRPC.INVALID_PARAMS, http: 200, summary: 'The request parameters are missing or malformed.' },
  UNKNOWN_TOOL: { rpc: JSONRPC.INVALID_PARAMS, http: 200, summary: 'No backend exposes a tool with this name.' },
  UNKNOWN_PROMPT: { rpc: JSONRPC.INVALID_PARAMS, http: 200, summary: 'No backend exposes a prompt with this name.' },
  UNKNOWN_RESOURCE: { rpc: JSONRPC.INVALID_PARAMS, http: 200, summary: 'The resource URI does not belong to any backend namespace.' },
  POLICY_DENIED: { rpc: JSONRPC.INVALID_PARAMS, http: 200, summary: 'A filter (expose_*/hide_*, hide_destructive, read_only_only) hides this item; the call never reached the backend.' },
  ARGUMENTS_TOO_LARGE: { rpc: JSONRPC.INVALID_PARAMS, http: 200, summary: 'The tool arguments exceed security.max_argument_size.' },
  INVALID_ARGUMENTS: { rpc: JSONRPC.INVALID_PARAMS, http: 200, summary: "The tool arguments do not match the tool's advertised inputSchema, or use a hidden/renamed parameter." },
  INVALID_CURSOR: { rpc: JSONRPC.INVALID_PARAMS, http: 200, summary: 'The pagination cursor was not issued by this proxy or is stale.' },
  BODY_TOO_LARGE: { rpc: JSONRPC.INVALID_REQUEST, http: 413, summary: 'The request body exceeds proxy.http.max_body_bytes.' },
  UNSUPPORTED_MEDIA_TYPE: { rpc: JSONRPC.INVALID_REQUEST, http: 415, summary: 'POST bodies must be Content-Type: application/json.' },
  NOT_ACCEPTABLE: { rpc: JSONRPC.INVALID_REQUEST, http: 406, summary: 'The Accept header must allow application/json and text/event-stream.' },
  METHOD_NOT_ALLOWED: { rpc: JSONRPC.INVALID_REQUEST, http: 405, summary: 'HTTP method not allowed on this path.' },
  NOT_FOUND: { rpc: JSONRPC.INVALID_REQUEST, http: 404, summary: 'No such path.' },
  ORIGIN_FORBIDDEN: { rpc: JSONRPC.INVALID_REQUEST, http: 403, summary: 'The Origin (or Host) header is not allowed.' },
  SESSION_REQUIRED: { rpc: JSONRPC.INVALID_REQUEST, http: 400, summary: 'Mcp-Session-Id header is required after initialize.' },
  SESSION_NOT_FOUND: { rpc: -32001, http: 404, summary: 'Unknown or expired session; the client must initialize again.' },
  SESSION_LIMIT: { rpc: -32004, http: 503, summary: 'Too many open sessions (proxy.http.max_sessions).' },
  STREAM_CONFLICT: { rpc: JSONRPC.INVALID_REQUEST, http: 409, summary: 'This session already has a GET stream open.' },
  UNSUPPORTED_PROTOCOL_VERSION: { rpc: JSONRPC.INVALID_REQUEST, http: 400, summary: 'The MCP-Protocol-Version header names a version mcp-relay does not speak.' },
  NOT_INITIALIZED: { rpc: JSONRPC.INVALID_REQUEST, http: 400, summary: 'The first request of a session must be initialize.' },
  UNAUTHORIZED: { rpc: JSONRPC.INVALID_REQUEST, http: 401, summary: 'Missing or wrong admin token.' },
  AUTH_REQUIRED: { rpc: -32016, http: 401, summary: 'The MCP endpoint needs Authorization: Bearer <token> ([auth]).' },
  AUTH_INVALID: { rpc: -32017, http: 401, summary: 'The bearer token is not one of [auth] tokens or scoped_tokens.' },
  TOOL_NOT_AUTHORIZED: { rpc: JSONRPC.INVALID_PARAMS, http: 200, summary: "The caller's scoped token does not allow this tool; the call never reached the backend." },
  BACKEND_UNAVAILABLE: { rpc: -32010, http: 200, summary: 'The owning backend is not connected (starting, restarting or down).' },
  BACKEND_TIMEOUT: { rpc: -32011, http: 200, summary: 'The backend did not answer within backends.timeout.seconds.' },
  BACKEND_EXITED: { rpc: -32012, http: 200, summary: 'The stdio backend exited while the request was in flight.' },
  BACKEND_PROTOCOL: { rpc: -32013, http: 200, summary: 'The backend answered with something that is not valid MCP (bad HTTP status, bad JSON, oversized frame).' },
  BACKEND_OVERLOADED: { rpc: -32014, http: 200, summary: 'Too many requests in flight to this backend.' },
  REQUEST_CANCELLED: { rpc: -32015, http: 200, summary: 'The client cancelled the request.' },
  INTERNAL: { rpc: JSONRPC.INTERNAL_ERROR, http: 500, summary: 'A bug in mcp-relay; the message says where.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error mcp-relay raises itself; maps to the wire at one boundary. */
export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly data: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message?: string, data?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].summary, options);
    this.name = 'RelayError';
    this.code = code;
    this.data = data;
  }
  get rpcCode(): number {
    return ERRORS[this.code].rpc;
  }
  get httpStatus(): number {
    return ERRORS[this.code].http;
  }
}

/** A JSON-RPC error object exactly as the backend sent it. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** Wraps a backend's JSON-RPC error so it can travel as an exception and be relayed unchanged. */
export class BackendRpcError extends Error {
  readonly error: RpcErrorObject;
  constructor(error: RpcErrorObject) {
    super(error.message);
    this.name = 'BackendRpcError';
    this.error = error;
  }
}

/** Turns anything thrown on the request path into the JSON-RPC error object for the client. */
export function toRpcError(err: unknown): RpcErrorObject {
  if (err instanceof BackendRpcError) return err.error;
  if (err instanceof RelayError) {
    return { code: err.rpcCode, message: err.message, data: { code: err.code, ...err.data } };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: JSONRPC.INTERNAL_ERROR, message: `mcp-relay internal error: ${message}`, data: { code: 'INTERNAL' } };
}

/** Thrown by config loading; carries the file and key path so the message can name them. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
