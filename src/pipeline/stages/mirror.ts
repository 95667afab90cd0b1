/**
 * Mirror stage: for routes with mirror targets (precomputed when the route was
 * built), take the sampling decision on this thread with one Atomics.add per
 * target, let the primary run, and once its reply has been written to the
 * client (setImmediate runs after the current write) hand the copy plus the
 * primary's outcome to the bounded mirror queue. Nothing here is awaited by
 * the primary path; a full queue drops and counts.
 */
import type { Stage, StageFactory } from '../types.js';
import type { MirrorLink } from '../../mirror/engine.js';

export const mirrorStage: StageFactory = (env) => {
  const engine = env.mirror;
  if (!engine) return null;
  const stage: Stage = (ctx, next) => {
    const links = ctx.route.mirrors as readonly MirrorLink[] | null;
    if (links === null) return next(ctx);
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
  return stage;
};
