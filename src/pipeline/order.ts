/**
 * The stage order, in exactly one place. Config switches stages on and sets
 * their options; it never reorders them.
 *
 *   client request
 *     → resolve   (server/dispatch.ts) namespace + alias → Route. A precomputed Map
 *                 lookup; unknown names stop here. Everything after sees the
 *                 backend-local (original) name, so policies are written once.
 *     → mirror    (stages/mirror.ts) samples eligible calls and, after the primary
 *                 reply is written, hands a copy to the mirror queue. Last before
 *                 dispatch so the copy carries exactly what the primary received
 *                 after every other stage rewrote it (no stage is bypassed, and
 *                 the copy never waits for anything the primary does not).
 *     → dispatch  (types.ts) the owning backend's connector.
 *
 * Planned (issue #5), between resolve and mirror, in this order: validation
 * (cheapest rejection first) → filter (original names) → search → composite.
 */
import type { Handler, Stage, StageEnv, StageFactory } from './types.js';
import { dispatchToBackend } from './types.js';
import { mirrorStage } from './stages/mirror.js';

export const STAGES: readonly { name: string; factory: StageFactory }[] = [
  { name: 'mirror', factory: mirrorStage },
];

/** Builds the handler chain once; stages whose factory returns null are skipped. */
export function composePipeline(env: StageEnv): { handler: Handler; active: string[] } {
  const active: { name: string; stage: Stage }[] = [];
  for (const { name, factory } of STAGES) {
    const stage = factory(env);
    if (stage) active.push({ name, stage });
  }
  let handler: Handler = dispatchToBackend;
  for (let i = active.length - 1; i >= 0; i--) {
    const { stage } = active[i]!;
    const next = handler;
    handler = (ctx) => stage(ctx, next);
  }
  return { handler, active: active.map((s) => s.name) };
}
