/**
 * Argument injection: `[backends.default_args]` for every tool of a backend and
 * `[[backends.inject_args]] tool, args, overwrite` per tool.
 * Precedence: client > per-tool > default; `overwrite = true` makes the
 * per-tool value win over the client's. Omitted or null arguments count as {}.
 * Lists: injected keys leave `required` (the proxy supplies them); forced keys
 * (overwrite = true) leave `properties` too, since the client cannot set them.
 */
import { argumentsOf, type Item, type StageFactory } from '../types.js';

interface Injection {
  tool: Readonly<Record<string, unknown>>;
  overwrite: boolean;
}

export const injectStage: StageFactory = (env) => {
  const defaults = new Map<string, Readonly<Record<string, unknown>>>();
  const perTool = new Map<string, Map<string, Injection>>();
  for (const [name, b] of env.backends) {
    if (Object.keys(b.default_args).length) defaults.set(name, b.default_args);
    if (b.inject_args.length) perTool.set(name, new Map(b.inject_args.map((i) => [i.tool, { tool: i.args, overwrite: i.overwrite }])));
  }
  if (!defaults.size && !perTool.size) return null;

  const plan = (backend: string, tool: string): { def: Readonly<Record<string, unknown>>; inj: Injection | undefined } | undefined => {
    const def = defaults.get(backend) ?? {};
    const inj = perTool.get(backend)?.get(tool);
    return Object.keys(def).length || inj ? { def, inj } : undefined;
  };

  return {
    list(item, ref) {
      if (ref.kind !== 'tools') return item;
      const p = plan(ref.backend, ref.local);
      const schema = item.inputSchema as Record<string, unknown> | undefined;
      if (!p || typeof schema !== 'object' || schema === null) return item;
      const supplied = new Set([...Object.keys(p.def), ...Object.keys(p.inj?.tool ?? {})]);
      const forced = p.inj?.overwrite ? new Set(Object.keys(p.inj.tool)) : new Set<string>();
      const out: Record<string, unknown> = { ...schema };
      if (Array.isArray(schema.required)) out.required = (schema.required as string[]).filter((k) => !supplied.has(k));
      if (forced.size && typeof schema.properties === 'object' && schema.properties !== null) {
        out.properties = Object.fromEntries(Object.entries(schema.properties).filter(([k]) => !forced.has(k)));
      }
      return { ...item, inputSchema: out } as Item;
    },
    route(route) {
      if (route.kind !== 'tool') return null;
      const p = plan(route.backend.name, route.local);
      if (!p) return null;
      const { def, inj } = p;
      return (ctx, next) => {
        const out: Record<string, unknown> = { ...argumentsOf(ctx) };
        if (inj) for (const [k, v] of Object.entries(inj.tool)) if (inj.overwrite || !(k in out)) out[k] = v;
        for (const [k, v] of Object.entries(def)) if (!(k in out)) out[k] = v;
        ctx.params = { ...ctx.params, arguments: out };
        return next(ctx);
      };
    },
  };
};
