/**
 * [[composite_tools]] name, description, tools, strategy = "parallel",
 * timeout_seconds (mcp-relay): one call fans out, with the same arguments, to
 * several tools. Each target goes through its own route handler (the full
 * policy stack) with a per-target deadline. Results come back in config order
 * (deterministic), each labelled with its target; isError when any failed.
 */
import { parseResult } from '../backends/backend.js';
import type { CompositeConfig, RelayConfig } from '../config/schema.js';
import { toRpcError } from '../errors.js';
import type { VirtualTool, ToolIO } from './virtual.js';

interface TargetOutcome {
  tool: string;
  ok: boolean;
  content: unknown[];
  structuredContent?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

async function runTarget(io: ToolIO, target: string, args: Record<string, unknown>, timeoutMs: number | undefined): Promise<TargetOutcome> {
  try {
    const route = io.resolveTool(target);
    const result = parseResult(await io.callRoute(route, args, timeoutMs)) as { content?: unknown[]; isError?: boolean; structuredContent?: unknown };
    const out: TargetOutcome = { tool: target, ok: result.isError !== true, content: Array.isArray(result.content) ? result.content : [] };
    if (result.structuredContent !== undefined) out.structuredContent = result.structuredContent;
    return out;
  } catch (err) {
    const e = toRpcError(err);
    return { tool: target, ok: false, content: [{ type: 'text', text: `Error ${e.code}: ${e.message}` }], error: { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) } };
  }
}

function compositeTool(c: CompositeConfig): VirtualTool {
  const timeoutMs = c.timeout_seconds === undefined ? undefined : Math.round(c.timeout_seconds * 1000);
  return {
    targets: c.tools,
    item: {
      name: c.name,
      description: c.description || `Calls ${c.tools.join(', ')} in parallel with the same arguments.`,
      inputSchema: { type: 'object' },
    },
    async call(args, io) {
      const outcomes = await Promise.all(c.tools.map((t) => runTarget(io, t, args, timeoutMs)));
      const content = outcomes.flatMap((o) => [{ type: 'text', text: `[${o.tool}] ${o.ok ? 'ok' : 'error'}` }, ...o.content]);
      const results = outcomes.map((o) => ({ tool: o.tool, ok: o.ok, ...(o.structuredContent !== undefined ? { structuredContent: o.structuredContent } : {}), ...(o.error ? { error: o.error } : {}) }));
      return { result: { content, structuredContent: { results }, ...(outcomes.some((o) => !o.ok) ? { isError: true } : {}) } };
    },
  };
}

export function compositeTools(config: RelayConfig): VirtualTool[] {
  return config.composite_tools.map(compositeTool);
}
