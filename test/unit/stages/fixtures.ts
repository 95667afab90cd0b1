/**
 * Shared helpers for the stage unit tests: a validated config from TOML, the
 * StageEnv the relay builds from it, a recording fake backend, hand-built
 * routes (as the catalog builds them) and a way to call a route's handler.
 */
import { expect } from 'vitest';
import type { Backend, BackendState, InitializeInfo, Reply, RequestOptions } from '../../../src/backends/backend.js';
import type { Route } from '../../../src/catalog/catalog.js';
import { parseConfig } from '../../../src/config/load.js';
import type { RelayConfig } from '../../../src/config/schema.js';
import { RelayError } from '../../../src/errors.js';
import type { Pipeline } from '../../../src/pipeline/order.js';
import { Denied, dispatchToBackend, type CallStage, type Handler, type Item, type RoutedMethod, type StageEnv } from '../../../src/pipeline/types.js';
import { silentLogger, type Logger } from '../../../src/util/log.js';

/** Parses and validates TOML exactly as `mcp-relay --config` does. */
export function config(toml: string): RelayConfig {
  return parseConfig(toml, 'test.toml', { env: {} });
}

/** A stdio `[[backends]]` table named `name`, followed by `extra` lines. */
export function backendToml(name: string, extra = ''): string {
  return `[[backends]]\nname = "${name}"\ntransport = "stdio"\ncommand = "server-${name}"\n${extra}\n`;
}

/** The StageEnv relay.ts builds: primary backends only, no mirror engine. */
export function envOf(cfg: RelayConfig, log: Logger = silentLogger()): StageEnv {
  return { config: cfg, mirror: null, log, backends: new Map(cfg.backends.filter((b) => !b.mirror_of).map((b) => [b.name, b])) };
}

export function envFrom(toml: string, log?: Logger): StageEnv {
  return envOf(config(toml), log);
}

export interface Recorded {
  method: string;
  params: Record<string, unknown> | undefined;
  opts: RequestOptions;
}

/** A Backend whose request() records what it received and answers with `result`. */
export class FakeBackend implements Backend {
  readonly transport = 'stdio' as const;
  readonly state: BackendState = 'ready';
  readonly info: InitializeInfo | undefined = undefined;
  readonly lastError: string | undefined = undefined;
  readonly connects = 1;
  readonly failures = 0;
  readonly timeoutMs = 60_000;
  readonly calls: Recorded[] = [];
  result: (method: string, params: Record<string, unknown> | undefined) => unknown = () => ({ content: [{ type: 'text', text: 'ok' }] });

  constructor(readonly name: string) {}

  get requests(): number {
    return this.calls.length;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  request(method: string, params: Record<string, unknown> | undefined, opts: RequestOptions): Promise<Reply> {
    this.calls.push({ method, params: params === undefined ? undefined : structuredClone(params), opts });
    return Promise.resolve({ raw: JSON.stringify({ jsonrpc: '2.0', id: '~r0', result: this.result(method, params) }), idText: '"~r0"' });
  }

  notify(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Arguments of the last tools/call the backend received. */
  get lastArgs(): unknown {
    const last = this.calls[this.calls.length - 1];
    expect(last, `backend ${this.name} received no call`).toBeDefined();
    return last!.params?.arguments;
  }
}

/** A route as the catalog builds it; `handler` defaults to a direct dispatch. */
export function route(backend: Backend, kind: Route['kind'], local: string, item?: Item, exposed = `${backend.name}/${local}`): Route {
  const readOnly = kind !== 'tool' || (item?.annotations as Record<string, unknown> | undefined)?.readOnlyHint === true;
  return { backend, kind, exposed, local, readOnly, item, handler: dispatchToBackend };
}

export function tool(name: string, inputSchema: Record<string, unknown> = { type: 'object' }, annotations?: Record<string, unknown>): Item {
  return { name, description: `The ${name} tool`, inputSchema, ...(annotations ? { annotations } : {}) };
}

const METHOD: Record<Route['kind'], RoutedMethod> = { tool: 'tools/call', prompt: 'prompts/get', resource: 'resources/read' };

/** Params a client request carries for a route (backend-local name/uri). */
function paramsFor(r: Route, args: unknown): Record<string, unknown> {
  if (r.kind === 'resource') return { uri: r.local };
  if (args === undefined) return { name: r.local };
  return { name: r.local, arguments: args };
}

/** Calls `handler` for `r` the way the dispatcher does; `args` undefined omits `arguments`. */
export function invoke(handler: Handler, r: Route, args?: unknown): Promise<Reply> {
  return handler({ method: METHOD[r.kind], route: r, params: paramsFor(r, args), opts: { timeoutMs: 1000 } });
}

/** Calls a stage wrapper with a direct dispatch as `next`. */
export function invokeStage(stage: CallStage, r: Route, args?: unknown): Promise<Reply> {
  return invoke((ctx) => stage(ctx, dispatchToBackend), r, args);
}

/**
 * What the catalog does for one listed tool: run the list stages, then (when
 * not hidden) build the route with the transformed item and compose its handler.
 */
export function catalogRoute(p: Pipeline, backend: Backend, item: Item): { route: Route; listed: Item } {
  const listed = p.transform(item, { backend: backend.name, kind: 'tools', local: String(item.name) });
  if (listed instanceof Denied) throw new Error(`tool ${String(item.name)} is hidden: ${listed.reason}`);
  const r = route(backend, 'tool', String(item.name), listed);
  r.handler = p.handlerFor(r);
  return { route: r, listed };
}

/** The RelayError a promise rejects with; fails the test when it resolves or throws something else. */
export async function relayError(p: Promise<unknown>): Promise<RelayError> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(err, 'expected the call to be rejected').toBeInstanceOf(RelayError);
  return err as RelayError;
}

/** The result object of a reply. */
export function resultOf(reply: Reply): Record<string, unknown> {
  return (JSON.parse(reply.raw) as { result: Record<string, unknown> }).result;
}
