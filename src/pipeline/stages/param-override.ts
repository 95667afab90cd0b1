/**
 * [[backends.param_overrides]] tool, hide, rename, defaults — reshape a tool's
 * parameters for clients:
 * - lists: hidden properties leave inputSchema.properties and required;
 *   renamed ones move to their new key; parameters with a default leave required;
 * - calls: a hidden parameter, or the original name of a renamed one, is
 *   refused (INVALID_ARGUMENTS: hiding is enforced, unlike mcp-proxy); new names
 *   are mapped back; `defaults` fill parameters the client did not send.
 */
import { RelayError } from '../../errors.js';
import { argumentsOf, type Item, type StageFactory } from '../types.js';

interface Override {
  hide: ReadonlySet<string>;
  rename: ReadonlyMap<string, string>;
  reverse: ReadonlyMap<string, string>;
  defaults: Readonly<Record<string, unknown>>;
}

export function rewriteSchema(schema: unknown, o: Override): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Record<string, unknown>;
  const props = (s.properties ?? {}) as Record<string, unknown>;
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(props)) {
    if (o.hide.has(k)) continue;
    properties[o.rename.get(k) ?? k] = v;
  }
  const out: Record<string, unknown> = { ...s, properties };
  // A parameter the proxy fills (hidden, or with a default) is not required from the client.
  if (Array.isArray(s.required)) out.required = (s.required as string[]).filter((k) => !o.hide.has(k) && !(k in o.defaults)).map((k) => o.rename.get(k) ?? k);
  return out;
}

export const paramOverrideStage: StageFactory = (env) => {
  const byBackend = new Map<string, Map<string, Override>>();
  for (const [name, b] of env.backends) {
    if (!b.param_overrides.length) continue;
    const tools = new Map<string, Override>();
    for (const p of b.param_overrides) {
      const rename = new Map(Object.entries(p.rename));
      tools.set(p.tool, { hide: new Set(p.hide), rename, reverse: new Map([...rename].map(([a, b2]) => [b2, a])), defaults: p.defaults });
    }
    byBackend.set(name, tools);
  }
  if (!byBackend.size) return null;
  const find = (backend: string, tool: string): Override | undefined => byBackend.get(backend)?.get(tool);

  return {
    list(item, ref) {
      if (ref.kind !== 'tools') return item;
      const o = find(ref.backend, ref.local);
      return o ? ({ ...item, inputSchema: rewriteSchema(item.inputSchema, o) } as Item) : item;
    },
    route(route) {
      if (route.kind !== 'tool') return null;
      const o = find(route.backend.name, route.local);
      if (!o) return null;
      return (ctx, next) => {
        const args = argumentsOf(ctx);
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(args)) {
          if (o.hide.has(k) || o.rename.has(k)) {
            const hint = o.rename.has(k) ? ` (it is called \`${o.rename.get(k)}\` here)` : '';
            return Promise.reject(new RelayError('INVALID_ARGUMENTS', `Invalid arguments for tool ${route.exposed}: parameter \`${k}\` is not accepted${hint}`, { name: route.exposed, parameter: k }));
          }
          out[o.reverse.get(k) ?? k] = v;
        }
        for (const [k, v] of Object.entries(o.defaults)) if (!(k in out)) out[k] = v;
        ctx.params = { ...ctx.params, arguments: out };
        return next(ctx);
      };
    },
  };
};
