/**
 * The stage order, in exactly one place. Config switches stages on and sets
 * their options; it never reorders them. Before any stage, the catalog has
 * resolved the client's name (namespace + alias, one Map lookup), so every
 * stage sees backend-local (original) names and policies are written once.
 *
 * Call order for a route (outermost first), and why:
 *   argument-size      cheapest rejection, on the client's own arguments
 *   filter             hidden items and annotation rules block calls, not only lists
 *   schema-validation  the client's arguments against the schema it was shown
 *                      (so it runs before the proxy rewrites or adds arguments)
 *   param-override     renamed parameters back to the backend's names; defaults
 *   inject             proxy-supplied arguments (default_args, inject_args)
 *   mirror             last: the copy carries exactly what the primary receives,
 *                      after every stage above (no stage is bypassed by the copy)
 *   → dispatch to the backend
 *
 * List hooks run in the REVERSE order: a list travels from the backend out to the
 * client, so each stage sees the item as the stages inside it left it — inject
 * drops the keys it supplies while they still have the backend's names, then
 * param-override renames and hides, then filter decides on the original name.
 * The catalog then applies alias and namespace.
 * Composite tools and search-mode tools (src/tools/) call routes' handlers, so
 * they pass through every stage that applies to the target.
 */
import type { Route } from '../catalog/catalog.js';
import { Denied, dispatchToBackend, type Handler, type Item, type ItemRef, type Stage, type StageEnv, type StageFactory } from './types.js';
import { argumentSizeStage } from './stages/argument-size.js';
import { filterStage } from './stages/filter.js';
import { schemaValidationStage } from './stages/schema-validation.js';
import { paramOverrideStage } from './stages/param-override.js';
import { injectStage } from './stages/inject.js';
import { mirrorStage } from './stages/mirror.js';

export const STAGES: readonly { name: string; factory: StageFactory }[] = [
  { name: 'argument-size', factory: argumentSizeStage },
  { name: 'filter', factory: filterStage },
  { name: 'schema-validation', factory: schemaValidationStage },
  { name: 'param-override', factory: paramOverrideStage },
  { name: 'inject', factory: injectStage },
  { name: 'mirror', factory: mirrorStage },
];

export interface Pipeline {
  /** Names of the stages the config switched on, in order. */
  readonly active: readonly string[];
  /** Runs the list hooks, innermost stage first; a Denied stops the chain. */
  transform(item: Item, ref: ItemRef): Item | Denied;
  /** Composes the call handler for one route from the stages that apply to it. */
  handlerFor(route: Route): Handler;
}

export function buildPipeline(env: StageEnv): Pipeline {
  const stages: { name: string; stage: Stage }[] = [];
  for (const { name, factory } of STAGES) {
    const stage = factory(env);
    if (stage) stages.push({ name, stage });
  }
  const listers = stages.filter((s) => s.stage.list).map((s) => s.stage.list!.bind(s.stage)).reverse();
  const routers = stages.filter((s) => s.stage.route).map((s) => s.stage.route!.bind(s.stage));
  return {
    active: stages.map((s) => s.name),
    transform(item, ref) {
      let current = item;
      for (const list of listers) {
        const out = list(current, ref);
        if (out instanceof Denied) return out;
        current = out;
      }
      return current;
    },
    handlerFor(route) {
      let handler: Handler = dispatchToBackend;
      for (let i = routers.length - 1; i >= 0; i--) {
        const wrap = routers[i]!(route);
        if (!wrap) continue;
        const next = handler;
        handler = (ctx) => wrap(ctx, next);
      }
      return handler;
    },
  };
}
