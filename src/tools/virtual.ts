/**
 * Proxy-level ("virtual") tools: composite tools and the search-mode tools.
 * They never talk to a backend themselves: every backend call they make goes
 * through a catalog route's handler, i.e. through every pipeline stage that
 * applies to the target (filters, validation, overrides, injection, mirror).
 */
import type { Reply } from '../backends/backend.js';
import type { Catalog, Route } from '../catalog/catalog.js';
import type { RelayConfig } from '../config/schema.js';
import { RelayError } from '../errors.js';
import type { Item } from '../pipeline/types.js';
import { compositeTools } from './composite.js';
import { searchTools } from './search.js';

export type VirtualOutcome = { reply: Reply } | { result: Record<string, unknown> };

export interface VirtualTool {
  readonly item: Item;
  /**
   * Discovery tools (search mode) apply the caller's token scope themselves (they show
   * and call only what it allows), so a scoped token may always call them.
   */
  readonly scopeAware?: boolean;
  /** Composite tools: the tools it calls (a scoped token must be allowed all of them). */
  readonly targets?: readonly string[];
  call(args: Record<string, unknown>, io: ToolIO): Promise<VirtualOutcome>;
}

/** What a virtual tool may do: look up routes and call them through their handler. */
export interface ToolIO {
  readonly catalog: Catalog;
  callRoute(route: Route, args: Record<string, unknown>, timeoutMs?: number): Promise<Reply>;
  /** Resolves a client-facing tool name to a route, or throws the error a direct call would get. */
  resolveTool(name: string): Route;
  virtual(name: string): VirtualTool | undefined;
  /** The caller's token scope ([[auth.scoped_tokens]]); undefined when unrestricted. */
  readonly canCall?: (tool: string) => boolean;
}

export class VirtualTools {
  readonly #tools = new Map<string, VirtualTool>();
  readonly replaceList: boolean;

  constructor(config: RelayConfig, catalog: () => Catalog) {
    for (const t of compositeTools(config)) this.#tools.set(String(t.item.name), t);
    for (const t of searchTools(config, catalog)) this.#tools.set(String(t.item.name), t);
    this.replaceList = config.proxy.tool_exposure === 'search';
  }

  get size(): number {
    return this.#tools.size;
  }

  get(name: string): VirtualTool | undefined {
    return this.#tools.get(name);
  }

  items(): Item[] {
    return [...this.#tools.values()].map((t) => t.item);
  }
}

export function textResult(text: string, structured?: Record<string, unknown>, isError = false): { result: Record<string, unknown> } {
  return { result: { content: [{ type: 'text', text }], ...(structured ? { structuredContent: structured } : {}), ...(isError ? { isError: true } : {}) } };
}

export function requireString(args: Record<string, unknown>, key: string, tool: string): string {
  const v = args[key];
  if (typeof v !== 'string' || v === '') throw new RelayError('INVALID_ARGUMENTS', `Invalid arguments for tool ${tool}: \`${key}\` must be a non-empty string`, { name: tool });
  return v;
}
