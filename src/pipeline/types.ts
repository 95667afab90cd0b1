/**
 * The pipeline contract. Every stage is one file exporting one factory:
 * `(env: StageEnv) => Stage | null`. A factory validates its options when the
 * pipeline is composed (startup) and returns null when it has nothing to do,
 * so unconfigured stages cost nothing per request.
 */
import type { Backend, Reply, RequestOptions } from '../backends/backend.js';
import type { Route } from '../catalog/catalog.js';
import type { RelayConfig } from '../config/schema.js';
import type { Logger } from '../util/log.js';
import type { MirrorEngine } from '../mirror/engine.js';

/** Methods that reach a backend through the pipeline. */
export type RoutedMethod = 'tools/call' | 'prompts/get' | 'resources/read' | 'completion/complete' | 'resources/subscribe' | 'resources/unsubscribe';

export interface CallContext {
  readonly method: RoutedMethod;
  /** Resolved target: namespace stripped, alias undone (filters see original names). */
  readonly route: Route;
  /** Params as they will be sent to the backend (name/uri already backend-local). */
  params: Record<string, unknown>;
  readonly opts: RequestOptions;
}

export type Handler = (ctx: CallContext) => Promise<Reply>;
export type Stage = (ctx: CallContext, next: Handler) => Promise<Reply>;

export interface StageEnv {
  readonly config: RelayConfig;
  readonly mirror: MirrorEngine | null;
  readonly log: Logger;
}

export type StageFactory = (env: StageEnv) => Stage | null;

/** The terminal handler: hand the request to the owning backend. */
export function dispatchToBackend(ctx: CallContext): Promise<Reply> {
  const backend: Backend = ctx.route.backend;
  return backend.request(ctx.method, ctx.params, ctx.opts);
}
