/**
 * The catalog: every primary backend's tools, prompts, resources and templates,
 * fetched in full (walking the backend's pagination) when the backend connects
 * and again when it sends list_changed. From it the catalog precomputes, once
 * per change:
 * - route maps (exposed name → backend + backend-local name), so routing a call
 *   is one Map lookup with aliases already applied;
 * - the client-facing list pages, already serialised. Page boundaries are the
 *   backends' own page boundaries (a backend that does not paginate adds to the
 *   current page), so clients see one page when no backend paginates. Cursors
 *   encode (backend, page index): opaque to clients, stable across other
 *   backends' changes, refused with -32602 when stale.
 */
import { RelayError } from '../errors.js';
import type { Backend } from '../backends/backend.js';
import { parseResult } from '../backends/backend.js';
import type { Logger } from '../util/log.js';
import { aliasTable, join, split, unalias, type AliasTable } from './namespace.js';
import { encodeCursor } from './cursor.js';
import { Denied, type Handler, type ItemRef } from '../pipeline/types.js';

export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';
export const LIST_KINDS: readonly ListKind[] = ['tools', 'prompts', 'resources', 'resourceTemplates'];
const METHOD: Record<ListKind, string> = {
  tools: 'tools/list',
  prompts: 'prompts/list',
  resources: 'resources/list',
  resourceTemplates: 'resources/templates/list',
};
const CAPABILITY: Record<ListKind, string> = { tools: 'tools', prompts: 'prompts', resources: 'resources', resourceTemplates: 'resources' };
const MAX_PAGES = 1_000;
const LIST_TIMEOUT_MS = 30_000;

type Item = Record<string, unknown>;

/** Where a call goes, and the handler composed for it (see pipeline/order.ts). */
export interface Route {
  readonly backend: Backend;
  readonly kind: 'tool' | 'prompt' | 'resource';
  readonly exposed: string;
  /** Backend-local name (tools, prompts) or URI (resources). */
  readonly local: string;
  /** Tools: annotations.readOnlyHint === true. Prompts and resources are reads. */
  readonly readOnly: boolean;
  /** The backend's item after list stages (what the client was shown, before namespacing). */
  readonly item: Record<string, unknown> | undefined;
  handler: Handler;
}

export interface PrimaryBackend {
  backend: Backend;
  aliases: readonly { from: string; to: string }[];
}

interface Segment {
  backend: string;
  page: number;
  items: Item[];
  more: boolean;
}

interface Aggregate {
  pages: string[];
  byCursor: Map<string, number>;
  signature: string;
}

export interface CatalogHooks {
  /** Called when a kind's aggregate changed after the first build. */
  onListChanged?: (kind: ListKind) => void;
  /** List stages: rewrite or hide each item a backend lists. */
  transform?: (item: Item, ref: ItemRef) => Item | Denied;
  /** Call stages: the handler for a route. */
  handlerFor?: (route: Route) => Handler;
  /** Proxy-level tools (composite, search): appended to tools/list, or replacing it. */
  virtualTools?: () => { items: Item[]; replace: boolean };
}

export class Catalog {
  readonly tools = new Map<string, Route>();
  readonly prompts = new Map<string, Route>();
  readonly #sep: string;
  readonly #primaries: PrimaryBackend[];
  readonly #aliases = new Map<string, AliasTable>();
  readonly #byName = new Map<string, Backend>();
  readonly #lists = new Map<string, Record<ListKind, Item[][]>>();
  readonly #agg = new Map<ListKind, Aggregate>();
  readonly #hooks: CatalogHooks;
  readonly #log: Logger;
  readonly #warned = new Set<string>();
  readonly #refreshing = new Map<string, Promise<void>>();
  /** Exposed tool and prompt names a filter hid → the reason (per kind, rebuilt with it). */
  readonly #denied = new Map<ListKind, Map<string, string>>();
  /** Per backend: templates a filter hid, as regexes over the URIs they expand to. */
  #deniedTemplates = new Map<string, { re: RegExp; reason: string }[]>();
  #advertisedTools: Item[] = [];
  #toolsVersion = 0;

  constructor(primaries: PrimaryBackend[], sep: string, log: Logger, hooks: CatalogHooks = {}) {
    this.#primaries = primaries;
    this.#sep = sep;
    this.#log = log;
    this.#hooks = hooks;
    for (const p of primaries) {
      this.#aliases.set(p.backend.name, aliasTable(p.aliases));
      this.#byName.set(p.backend.name, p.backend);
    }
    for (const kind of LIST_KINDS) this.#rebuild(kind, true);
  }

  get separator(): string {
    return this.#sep;
  }

  backend(name: string): Backend | undefined {
    return this.#byName.get(name);
  }

  /** Re-fetches every list of one backend (single flight per backend). */
  refresh(backend: Backend, kinds: readonly ListKind[] = LIST_KINDS): Promise<void> {
    const running = this.#refreshing.get(backend.name);
    if (running) return running.then(() => this.refresh(backend, kinds));
    const p = this.#fetch(backend, kinds).finally(() => this.#refreshing.delete(backend.name));
    this.#refreshing.set(backend.name, p);
    return p;
  }

  /** Serialised result for a list request: `{"tools":[…],"nextCursor":"…"}`. */
  page(kind: ListKind, cursor: unknown): string {
    const agg = this.#agg.get(kind)!;
    if (cursor === undefined || cursor === null) return agg.pages[0]!;
    const idx = typeof cursor === 'string' ? agg.byCursor.get(cursor) : undefined;
    if (idx === undefined) throw new RelayError('INVALID_CURSOR', `Invalid cursor for ${METHOD[kind]}: it was not issued by this proxy or the list changed since`);
    return agg.pages[idx]!;
  }

  /** Routes a resource URI (`<backend><sep><uri>`); aliased originals are hidden. */
  resolveResource(uri: string): { backend: Backend; local: string } | undefined {
    const parts = split(uri, this.#sep);
    if (!parts) return undefined;
    const backend = this.#byName.get(parts.backend);
    const table = this.#aliases.get(parts.backend);
    if (!backend || !table) return undefined;
    const local = unalias(table, parts.rest);
    return local === undefined ? undefined : { backend, local };
  }

  /** Maps a backend-local resource URI to the client-facing one. */
  exposeUri(backend: string, uri: string): string {
    return join(backend, this.#sep, this.#aliases.get(backend)?.forward.get(uri) ?? uri);
  }

  /**
   * Union of the primary backends' capabilities. Clients keep what initialize told
   * them for the whole session, so a backend that has not connected yet (its
   * capabilities unknown) counts as offering tools, prompts and resources, and
   * proxy-level tools count as tools.
   */
  capabilities(): Record<string, unknown> {
    const caps: Record<string, unknown> = {};
    let subscribe = false;
    if (this.#hooks.virtualTools?.().items.length) caps.tools = { listChanged: true };
    for (const { backend } of this.#primaries) {
      const c = backend.info?.capabilities ?? { tools: {}, prompts: {}, resources: {} };
      if (c.tools) caps.tools = { listChanged: true };
      if (c.prompts) caps.prompts = { listChanged: true };
      if (c.resources) {
        subscribe ||= Boolean((c.resources as Record<string, unknown>).subscribe);
        caps.resources = { listChanged: true, subscribe };
      }
      if (c.completions) caps.completions = {};
      if (c.logging) caps.logging = {};
    }
    return caps;
  }

  instructions(configured: string | undefined): string | undefined {
    if (configured !== undefined) return configured;
    const parts = this.#primaries
      .filter((p) => p.backend.info?.instructions)
      .map((p) => `[${p.backend.name}] ${p.backend.info!.instructions!}`);
    const head = `mcp-relay aggregating ${this.#primaries.length} backend(s): ${this.#primaries.map((p) => p.backend.name).join(', ')}. Names are <backend>${this.#sep}<name>.`;
    return [head, ...parts].join('\n\n');
  }

  counts(backend: string): Record<ListKind, number> {
    const lists = this.#lists.get(backend);
    const n = (k: ListKind): number => (lists ? lists[k].reduce((a, p) => a + p.length, 0) : 0);
    return { tools: n('tools'), prompts: n('prompts'), resources: n('resources'), resourceTemplates: n('resourceTemplates') };
  }

  async #fetch(backend: Backend, kinds: readonly ListKind[]): Promise<void> {
    const caps = backend.info?.capabilities ?? {};
    const lists = this.#lists.get(backend.name) ?? { tools: [], prompts: [], resources: [], resourceTemplates: [] };
    const fetched = await Promise.all(
      kinds.map(async (kind) => {
        if (!caps[CAPABILITY[kind]]) return [kind, [] as Item[][]] as const;
        try {
          return [kind, await this.#fetchAll(backend, kind)] as const;
        } catch (err) {
          this.#log.warn({ backend: backend.name, method: METHOD[kind], err: (err as Error).message }, 'listing failed; keeping the previous list');
          return [kind, lists[kind]] as const;
        }
      }),
    );
    for (const [kind, pages] of fetched) lists[kind] = pages;
    this.#lists.set(backend.name, lists);
    for (const kind of kinds) this.#rebuild(kind, false);
  }

  async #fetchAll(backend: Backend, kind: ListKind): Promise<Item[][]> {
    const pages: Item[][] = [];
    let cursor: string | undefined;
    do {
      const reply = await backend.request(METHOD[kind], cursor === undefined ? {} : { cursor }, { timeoutMs: LIST_TIMEOUT_MS });
      const result = parseResult(reply);
      const items = result[kind];
      pages.push(Array.isArray(items) ? (items as unknown[]).filter((x): x is Item => typeof x === 'object' && x !== null && !Array.isArray(x)) : []);
      cursor = typeof result.nextCursor === 'string' && result.nextCursor !== '' ? result.nextCursor : undefined;
    } while (cursor !== undefined && pages.length < MAX_PAGES);
    return pages;
  }

  #rebuild(kind: ListKind, initial: boolean): void {
    const segments: Segment[] = [];
    const routes = kind === 'tools' || kind === 'prompts' ? new Map<string, Route>() : undefined;
    this.#denied.set(kind, new Map());
    if (kind === 'resourceTemplates') this.#deniedTemplates = new Map();
    for (const { backend } of this.#primaries) {
      const pages = this.#lists.get(backend.name)?.[kind] ?? [];
      pages.forEach((items, i) => {
        const exposed = this.#expose(backend, kind, items, routes);
        segments.push({ backend: backend.name, page: i, items: exposed, more: i < pages.length - 1 });
      });
    }
    if (kind === 'tools') {
      this.#advertisedTools = segments.flatMap((s) => s.items);
      this.#toolsVersion++;
      const virtual = this.#hooks.virtualTools?.();
      if (virtual) {
        const seg: Segment = { backend: 'proxy', page: 0, items: virtual.items, more: false };
        if (virtual.replace) segments.splice(0, segments.length, seg);
        else if (virtual.items.length) segments.push(seg);
      }
    }
    const agg = paginate(kind, segments);
    const prev = this.#agg.get(kind);
    this.#agg.set(kind, agg);
    if (routes) {
      const target = kind === 'tools' ? this.tools : this.prompts;
      target.clear();
      for (const [k, v] of routes) target.set(k, v);
    }
    if (!initial && prev && prev.signature !== agg.signature) this.#hooks.onListChanged?.(kind);
  }

  /** Backend tools as advertised (filters, param overrides, aliases and namespaces applied). */
  advertisedTools(): { version: number; tools: readonly Item[] } {
    return { version: this.#toolsVersion, tools: this.#advertisedTools };
  }

  /** Why a tool or prompt name is hidden by a filter, if it is. */
  deniedReason(kind: 'tools' | 'prompts', exposed: string): string | undefined {
    return this.#denied.get(kind)?.get(exposed);
  }

  /** A route for a resource URI, built per request (resources route by prefix, not by list). */
  resourceRoute(backend: Backend, exposed: string, local: string): Route {
    const route: Route = { backend, kind: 'resource', exposed, local, readOnly: true, item: undefined, handler: noHandler };
    const hidden = this.#deniedTemplates.get(backend.name)?.find((t) => t.re.test(local));
    if (hidden) {
      const err = new RelayError('POLICY_DENIED', `Resource not available: ${exposed} (${hidden.reason})`, { name: exposed, reason: hidden.reason });
      route.handler = () => Promise.reject(err);
      return route;
    }
    route.handler = this.#hooks.handlerFor?.(route) ?? passThrough;
    return route;
  }

  #expose(backend: Backend, kind: ListKind, items: Item[], routes: Map<string, Route> | undefined): Item[] {
    const sep = this.#sep;
    const table = this.#aliases.get(backend.name)!;
    const out: Item[] = [];
    for (const original of items) {
      const key = kind === 'resourceTemplates' ? String(original.uriTemplate) : kind === 'resources' ? String(original.uri) : String(original.name);
      const aliased = kind === 'resourceTemplates' ? undefined : table.forward.get(key);
      const exposedLocal = aliased ?? key;
      const transformed = this.#hooks.transform ? this.#hooks.transform(original, { backend: backend.name, kind, local: key }) : original;
      if (transformed instanceof Denied) {
        this.#denied.get(kind)!.set(join(backend.name, sep, exposedLocal), transformed.reason);
        if (kind === 'resourceTemplates') {
          const list = this.#deniedTemplates.get(backend.name) ?? [];
          list.push({ re: templateRegex(key), reason: `${transformed.reason} (template ${key})` });
          this.#deniedTemplates.set(backend.name, list);
        }
        continue;
      }
      const item = transformed;
      if (kind === 'resourceTemplates') {
        out.push({ ...item, uriTemplate: join(backend.name, sep, key), name: join(backend.name, sep, String(item.name)) });
        continue;
      }
      if (aliased === undefined && table.reverse.has(key)) {
        this.#warnOnce(`${backend.name}:${kind}:${key}`, { backend: backend.name, name: key }, `${kind} "${key}" is hidden: an alias exposes another item under this name`);
        continue;
      }
      if (kind === 'resources') {
        out.push({ ...item, uri: join(backend.name, sep, exposedLocal), name: join(backend.name, sep, String(item.name)) });
        continue;
      }
      const exposed = join(backend.name, sep, exposedLocal);
      if (exposed.length > 128) this.#warnOnce(`len:${exposed}`, { name: exposed }, 'exposed name is longer than the 128 characters MCP recommends');
      out.push({ ...item, name: exposed });
      if (routes) {
        const annotations = original.annotations as Record<string, unknown> | undefined;
        const route: Route = {
          backend,
          kind: kind === 'tools' ? 'tool' : 'prompt',
          exposed,
          local: key,
          readOnly: kind !== 'tools' || annotations?.readOnlyHint === true,
          item,
          handler: noHandler,
        };
        route.handler = this.#hooks.handlerFor?.(route) ?? passThrough;
        routes.set(exposed, route);
      }
    }
    return out;
  }

  #warnOnce(key: string, obj: Record<string, unknown>, msg: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#log.warn(obj, msg);
  }
}

/** Groups backend pages into client pages and serialises them. */
function paginate(kind: ListKind, segments: Segment[]): Aggregate {
  const groups: Segment[][] = [[]];
  for (const seg of segments) {
    groups[groups.length - 1]!.push(seg);
    if (seg.more) groups.push([]);
  }
  if (groups.length > 1 && groups[groups.length - 1]!.length === 0) groups.pop();
  const byCursor = new Map<string, number>();
  const cursors = groups.map((g, i) => {
    if (i === 0 || !g[0]) return undefined;
    const c = encodeCursor(g[0].backend, g[0].page);
    byCursor.set(c, i);
    return c;
  });
  const pages = groups.map((g, i) => {
    const items = g.flatMap((s) => s.items);
    const next = cursors[i + 1];
    return JSON.stringify(next === undefined ? { [kind]: items } : { [kind]: items, nextCursor: next });
  });
  return { pages, byCursor, signature: pages.join('\n') };
}

/** RFC 6570 template → a regex matching every URI it can expand to ({x} → any text). */
function templateRegex(template: string): RegExp {
  const parts = template.split(/\{[^}]*\}/);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

function noHandler(): Promise<never> {
  return Promise.reject(new RelayError('INTERNAL', 'route used before its handler was composed'));
}

function passThrough(ctx: Parameters<Handler>[0]): ReturnType<Handler> {
  return ctx.route.backend.request(ctx.method, ctx.params, ctx.opts);
}
