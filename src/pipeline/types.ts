/**
 * The pipeline contract. Every stage is one file exporting one factory,
 * `(env: StageEnv) => Stage | null`, called once at startup: it validates its
 * options then and returns null when the config gives it nothing to do.
 * A Stage has up to two hooks:
 * - `list(item, ref)` runs once per catalog change on each item a backend
 *   lists (backend-local names): return the item (possibly rewritten) or a
 *   `Denied` to hide it. Hidden tools and prompts get no route at all.
 * - `route(route)` runs once per route when the catalog builds it: return a
 *   wrapper for that route's calls, or null when the stage does not apply, so
 *   a route's handler contains exactly the stages configured for it.
 */
import type { Backend, Reply, RequestOptions } from '../backends/backend.js';
import type { ListKind, Route } from '../catalog/catalog.js';
import type { BackendConfig, RelayConfig } from '../config/schema.js';
import type { Logger } from '../util/log.js';
import { argumentsObject } from '../util/jsonrpc.js';
import type { MirrorEngine } from '../mirror/engine.js';

/** Methods that reach a backend through a route. */
export type RoutedMethod = 'tools/call' | 'prompts/get' | 'resources/read' | 'completion/complete' | 'resources/subscribe' | 'resources/unsubscribe';

export type Item = Record<string, unknown>;

export interface CallContext {
  readonly method: RoutedMethod;
  readonly route: Route;
  /** Params as they will be sent to the backend (name/uri already backend-local). */
  params: Record<string, unknown>;
  readonly opts: RequestOptions;
}

export type Handler = (ctx: CallContext) => Promise<Reply>;
export type CallStage = (ctx: CallContext, next: Handler) => Promise<Reply>;

/** What a list hook is looking at. */
export interface ItemRef {
  readonly backend: string;
  readonly kind: ListKind;
  /** Backend-local name (tools, prompts) or URI (resources, templates). */
  readonly local: string;
}

/** Returned by a list hook to hide an item; the reason reaches the client on a call. */
export class Denied {
  constructor(readonly reason: string) {}
}

export interface Stage {
  list?(item: Item, ref: ItemRef): Item | Denied;
  route?(route: Route): CallStage | null;
}

export interface StageEnv {
  readonly config: RelayConfig;
  readonly mirror: MirrorEngine | null;
  readonly log: Logger;
  /** Primary backends' config by name. */
  readonly backends: ReadonlyMap<string, BackendConfig>;
}

export type StageFactory = (env: StageEnv) => Stage | null;

/** The terminal handler: hand the request to the owning backend. */
export function dispatchToBackend(ctx: CallContext): Promise<Reply> {
  const backend: Backend = ctx.route.backend;
  return backend.request(ctx.method, ctx.params, ctx.opts);
}

/** Arguments of a tools/call as an object (omitted or null arguments are {}; others were refused at resolve). */
export function argumentsOf(ctx: CallContext): Record<string, unknown> {
  return argumentsObject(ctx.params.arguments, ctx.route.exposed);
}
