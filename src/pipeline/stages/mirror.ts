/**
 * Mirror stage: for a route with mirror targets (decided once, when the route
 * is built), take the sampling decision on this thread with one Atomics.add per
 * target, let the primary run, and once its reply has been written to the
 * client (setImmediate runs after the current write) hand the copy plus the
 * primary's outcome to the bounded mirror queue. Nothing here is awaited by
 * the primary path; a full queue drops and counts. Routes without targets get
 * no wrapper at all.
 */
import type { RoutedMethod, StageFactory } from '../types.js';

/** Only these are copied; completions and subscriptions on the same routes are not. */
const MIRRORED = new Set<RoutedMethod>(['tools/call', 'prompts/get', 'resources/read']);

export const mirrorStage: StageFactory = (env) => {
  const engine = env.mirror;
  if (!engine) return null;
  return {
    route(route) {
      const links = engine.linksFor(route);
      if (links === null) return null;
      return (ctx, next) => {
        if (!MIRRORED.has(ctx.method)) return next(ctx);
        const sampled = engine.sample(links);
        if (sampled === null) return next(ctx);
        const started = performance.now();
        const primary = next(ctx);
        primary.then(
          (reply) => setImmediate(() => engine.submit(sampled, ctx, reply, performance.now() - started)),
          (err: unknown) => setImmediate(() => engine.submit(sampled, ctx, err, performance.now() - started)),
        );
        return primary;
      };
    },
  };
};
