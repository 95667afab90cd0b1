/**
 * JSON-RPC 2.0 envelope helpers for the hot path: classify a parsed message,
 * build replies as strings, and swap the id of a backend reply without
 * re-serialising its result when the id sits where serialisers put it.
 */
import { RelayError, type RpcErrorObject } from '../errors.js';

export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}
export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  result?: unknown;
  error?: RpcErrorObject;
}
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export type MessageKind = 'request' | 'notification' | 'response';

/** Validates the envelope of one message from a client; throws RelayError(INVALID_REQUEST). */
export function classify(msg: unknown): MessageKind {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    throw new RelayError('INVALID_REQUEST', 'Invalid Request: a JSON-RPC message must be a JSON object');
  }
  const m = msg as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') throw new RelayError('INVALID_REQUEST', 'Invalid Request: "jsonrpc" must be "2.0"');
  const hasId = 'id' in m;
  if (hasId && typeof m.id !== 'string' && (typeof m.id !== 'number' || !Number.isFinite(m.id))) {
    throw new RelayError('INVALID_REQUEST', 'Invalid Request: "id" must be a string or a number');
  }
  if (typeof m.method === 'string') {
    if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null || Array.isArray(m.params))) {
      throw new RelayError('INVALID_REQUEST', 'Invalid Request: MCP "params" must be an object');
    }
    return hasId ? 'request' : 'notification';
  }
  if (hasId && ('result' in m || 'error' in m)) return 'response';
  throw new RelayError('INVALID_REQUEST', 'Invalid Request: a message needs "method" (request/notification) or "result"/"error" (response)');
}

/** `id` as it must appear on the wire (JSON text). */
export function idJson(id: JsonRpcId | null | undefined): string {
  return id === undefined || id === null ? 'null' : typeof id === 'number' ? String(id) : JSON.stringify(id);
}

export function resultText(idText: string, result: unknown): string {
  return `{"jsonrpc":"2.0","id":${idText},"result":${JSON.stringify(result)}}`;
}

export function errorText(idText: string, error: RpcErrorObject): string {
  return `{"jsonrpc":"2.0","id":${idText},"error":${JSON.stringify(error)}}`;
}

export function notificationText(method: string, params: unknown): string {
  return params === undefined
    ? `{"jsonrpc":"2.0","method":${JSON.stringify(method)}}`
    : `{"jsonrpc":"2.0","method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
}

export function requestText(idText: string, method: string, params: unknown): string {
  return params === undefined
    ? `{"jsonrpc":"2.0","id":${idText},"method":${JSON.stringify(method)}}`
    : `{"jsonrpc":"2.0","id":${idText},"method":${JSON.stringify(method)},"params":${JSON.stringify(params)}}`;
}

/**
 * Replaces the backend's id in a raw response with the client's id.
 * Backend ids are strings minted by mcp-relay ("~r" + counter). The token
 * `"id":"~r…"` is swapped in place only where it can only be the top-level id:
 * as the last member (TypeScript SDK order: result, jsonrpc, id) or right after
 * the opening brace / `"jsonrpc":"2.0",` (Python order). Anything else falls
 * back to parse + set + stringify, which is always correct.
 */
export function swapId(raw: string, backendIdText: string, clientIdText: string): string {
  const token = `"id":${backendIdText}`;
  // TypeScript SDK order: the top-level id is the last member, right before the final brace.
  const tail = raw.length - token.length - 1;
  if (tail > 0 && raw.charCodeAt(raw.length - 1) === 125 /* } */ && raw.startsWith(token, tail)) {
    const before = raw.charCodeAt(tail - 1);
    if (before === 44 /* , */ || before === 123 /* { */) return raw.slice(0, tail) + `"id":${clientIdText}}`;
  }
  // Python SDK order: {"jsonrpc":"2.0","id":…, or the id first.
  if (raw.startsWith(PY_HEAD) && raw.startsWith(token, PY_HEAD.length)) {
    return PY_HEAD + `"id":${clientIdText}` + raw.slice(PY_HEAD.length + token.length);
  }
  if (raw.charCodeAt(0) === 123 /* { */ && raw.startsWith(token, 1)) return `{"id":${clientIdText}` + raw.slice(1 + token.length);
  const msg = JSON.parse(raw) as JsonRpcResponse;
  msg.id = JSON.parse(clientIdText) as JsonRpcId;
  return JSON.stringify(msg);
}
const PY_HEAD = '{"jsonrpc":"2.0",';

/**
 * MCP `arguments` (tools/call, prompts/get): an object, or absent/null meaning {}.
 * Anything else is refused, so no stage sees arguments the backend would get differently.
 */
export function argumentsObject(value: unknown, what: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new RelayError('INVALID_PARAMS', `${what}: "arguments" must be an object`);
  return value as Record<string, unknown>;
}

/** Reads `_meta.progressToken` from request params, if any. */
export function progressTokenOf(params: Record<string, unknown> | undefined): string | number | undefined {
  const meta = params?._meta;
  if (typeof meta !== 'object' || meta === null) return undefined;
  const tok = (meta as Record<string, unknown>).progressToken;
  return typeof tok === 'string' || typeof tok === 'number' ? tok : undefined;
}
