/**
 * Capability filter: per backend and kind, an allow-list (`expose_*`) or a
 * deny-list (`hide_*`) of names (see policy/patterns.ts), plus annotation rules
 * for tools: `hide_destructive` hides tools with destructiveHint: true,
 * `read_only_only` keeps only tools with readOnlyHint: true. Matched against
 * backend-local names (resources and templates: their URI / uriTemplate).
 * Hidden items leave the lists and their calls fail with POLICY_DENIED without
 * reaching the backend — annotation rules included (unlike mcp-proxy).
 */
import { RelayError } from '../../errors.js';
import type { BackendConfig } from '../../config/schema.js';
import { compilePatterns, type Matcher } from '../../policy/patterns.js';
import type { ListKind } from '../../catalog/catalog.js';
import { Denied, type Item, type StageFactory } from '../types.js';

interface KindRule {
  expose: Matcher | 'none' | undefined;
  hide: Matcher | undefined;
  key: string;
}

interface BackendRules {
  tools: KindRule;
  prompts: KindRule;
  resources: KindRule;
  hideDestructive: boolean;
  readOnlyOnly: boolean;
}

function kindRule(b: BackendConfig, kind: 'tools' | 'prompts' | 'resources'): KindRule | undefined {
  const expose = b[`expose_${kind}`];
  const hide = b[`hide_${kind}`];
  if (expose === undefined && hide === undefined) return undefined;
  return { expose: expose === undefined ? undefined : expose.length === 0 ? 'none' : compilePatterns(expose), hide: compilePatterns(hide), key: expose !== undefined ? `expose_${kind}` : `hide_${kind}` };
}

/** Why a name is hidden by a rule, or undefined when it is visible. */
function check(rule: KindRule | undefined, name: string): string | undefined {
  if (!rule) return undefined;
  if (rule.expose === 'none' || (rule.expose && !rule.expose(name))) return `not listed in ${rule.key}`;
  if (rule.hide?.(name)) return `hidden by ${rule.key}`;
  return undefined;
}

export function toolDenial(rules: BackendRules, name: string, item: Item | undefined): string | undefined {
  const byName = check(rules.tools, name);
  if (byName) return byName;
  const ann = item?.annotations as Record<string, unknown> | undefined;
  if (rules.hideDestructive && ann?.destructiveHint === true) return 'hidden by hide_destructive (destructiveHint: true)';
  if (rules.readOnlyOnly && ann?.readOnlyHint !== true) return 'hidden by read_only_only (no readOnlyHint: true)';
  return undefined;
}

export const filterStage: StageFactory = (env) => {
  const rules = new Map<string, BackendRules>();
  for (const [name, b] of env.backends) {
    const r = { tools: kindRule(b, 'tools'), prompts: kindRule(b, 'prompts'), resources: kindRule(b, 'resources') };
    if (!r.tools && !r.prompts && !r.resources && !b.hide_destructive && !b.read_only_only) continue;
    rules.set(name, { ...r, hideDestructive: b.hide_destructive, readOnlyOnly: b.read_only_only } as BackendRules);
  }
  if (!rules.size) return null;

  const denial = (backend: string, kind: ListKind, name: string, item: Item | undefined): string | undefined => {
    const r = rules.get(backend);
    if (!r) return undefined;
    if (kind === 'tools') return toolDenial(r, name, item);
    if (kind === 'prompts') return check(r.prompts, name);
    return check(r.resources, name);
  };

  return {
    list(item, ref) {
      const why = denial(ref.backend, ref.kind, ref.local, item);
      return why ? new Denied(why) : item;
    },
    route(route) {
      const kind: ListKind = route.kind === 'tool' ? 'tools' : route.kind === 'prompt' ? 'prompts' : 'resources';
      const why = denial(route.backend.name, kind, route.local, route.item);
      if (!why) return null;
      const err = (): Promise<never> => Promise.reject(new RelayError('POLICY_DENIED', `${route.kind === 'resource' ? 'Resource' : route.kind === 'tool' ? 'Tool' : 'Prompt'} not available: ${route.exposed} (${why})`, { name: route.exposed, reason: why }));
      return err;
    },
  };
};
