/**
 * Discovery tools over the tools clients may see (after filters, overrides,
 * aliases): BM25 full-text search with MiniSearch (a small, well-kept
 * library; BM25+ ranking, prefix and fuzzy matching).
 *   proxy/search_tools {query, top_k?}  ranked matches
 *   proxy/tool_categories {}            tools per backend namespace
 *   proxy/call_tool {name, arguments}   (search mode) calls a tool through its
 *                                       route handler: the whole policy stack
 * proxy.tool_exposure = "search" lists only these (and composite tools);
 * proxy.tool_discovery = true adds search_tools and tool_categories to a
 * direct listing. The index is rebuilt when the tool list changes.
 */
import MiniSearch from 'minisearch';
import type { Catalog } from '../catalog/catalog.js';
import type { RelayConfig } from '../config/schema.js';
import { RelayError } from '../errors.js';
import { argumentsObject } from '../util/jsonrpc.js';
import type { Item } from '../pipeline/types.js';
import { requireString, textResult, type VirtualTool } from './virtual.js';

interface Doc {
  id: string;
  description: string;
  params: string;
  namespace: string;
}

function docOf(tool: Item, sep: string): Doc {
  const name = String(tool.name);
  const props = ((tool.inputSchema as { properties?: Record<string, { description?: unknown }> } | undefined)?.properties) ?? {};
  const params = Object.entries(props).map(([k, v]) => `${k} ${typeof v?.description === 'string' ? v.description : ''}`).join(' ');
  return { id: name, description: typeof tool.description === 'string' ? tool.description : '', params, namespace: name.slice(0, Math.max(0, name.indexOf(sep))) };
}

class ToolIndex {
  #version = -1;
  #search: MiniSearch<Doc> | undefined;
  #docs = new Map<string, Doc>();
  constructor(private readonly catalog: () => Catalog, private readonly sep: string) {}

  get(): { search: MiniSearch<Doc>; docs: Map<string, Doc> } {
    const { version, tools } = this.catalog().advertisedTools();
    if (version !== this.#version || !this.#search) {
      const search = new MiniSearch<Doc>({
        fields: ['id', 'description', 'params'],
        storeFields: ['description', 'namespace'],
        searchOptions: { boost: { id: 3, description: 1, params: 0.5 }, prefix: true, fuzzy: 0.2 },
      });
      const docs = tools.map((t) => docOf(t, this.sep));
      search.addAll(docs);
      this.#docs = new Map(docs.map((d) => [d.id, d]));
      this.#search = search;
      this.#version = version;
    }
    return { search: this.#search, docs: this.#docs };
  }
}

export function searchTools(config: RelayConfig, catalog: () => Catalog): VirtualTool[] {
  const search = config.proxy.tool_exposure === 'search';
  if (!search && !config.proxy.tool_discovery) return [];
  const sep = config.proxy.separator;
  const index = new ToolIndex(catalog, sep);
  const name = (n: string): string => `proxy${sep}${n}`;
  const tools: VirtualTool[] = [
    {
      item: {
        name: name('search_tools'),
        description: 'Search the available tools by what they do. Returns the best matches with their names, descriptions and relevance scores.',
        inputSchema: { type: 'object', properties: { query: { type: 'string', description: 'What you want to do' }, top_k: { type: 'integer', minimum: 1, maximum: 50, description: 'How many matches (default 10)' } }, required: ['query'] },
        annotations: { readOnlyHint: true },
      },
      scopeAware: true,
      async call(args, io) {
        const query = requireString(args, 'query', name('search_tools'));
        const topK = typeof args.top_k === 'number' && args.top_k >= 1 ? Math.min(50, Math.floor(args.top_k)) : 10;
        const allowed = io.canCall;
        const hits = (allowed ? index.get().search.search(query, { filter: (h) => allowed(h.id as string) }) : index.get().search.search(query)).slice(0, topK);
        const matches = hits.map((h) => ({ name: h.id as string, description: h.description as string, score: Math.round(h.score * 1000) / 1000 }));
        return textResult(JSON.stringify({ matches }, null, 2), { matches });
      },
    },
    {
      item: {
        name: name('tool_categories'),
        description: 'List the tool namespaces (one per backend) with how many tools each offers.',
        inputSchema: { type: 'object', properties: {} },
        annotations: { readOnlyHint: true },
      },
      scopeAware: true,
      async call(_args, io) {
        const counts = new Map<string, number>();
        for (const [id, d] of index.get().docs) if (!io.canCall || io.canCall(id)) counts.set(d.namespace, (counts.get(d.namespace) ?? 0) + 1);
        const categories = [...counts].map(([namespace, tools]) => ({ namespace, tools }));
        return textResult(JSON.stringify({ categories }, null, 2), { categories });
      },
    },
  ];
  if (search) {
    tools.push({
      item: {
        name: name('call_tool'),
        description: 'Call a tool found with search_tools, by its full name, with its arguments.',
        inputSchema: { type: 'object', properties: { name: { type: 'string' }, arguments: { type: 'object' } }, required: ['name'] },
      },
      scopeAware: true,
      async call(args, io) {
        const target = requireString(args, 'name', name('call_tool'));
        const targetArgs = argumentsObject(args.arguments, target);
        const composite = io.virtual(target);
        if (composite) {
          if (target.startsWith(name(''))) throw new RelayError('INVALID_ARGUMENTS', `${name('call_tool')} cannot call ${target}`, { name: target });
          return composite.call(targetArgs, io);
        }
        return { reply: await io.callRoute(io.resolveTool(target), targetArgs) };
      },
    });
  }
  return tools;
}
