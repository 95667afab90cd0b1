/**
 * Configurable demo MCP server.
 *
 * Used as the bundled backend for `npm start`, as the fixture backend in
 * end-to-end tests and as canary backends in mirroring tests. It is built on
 * the SDK's low-level `Server` with explicit request handlers so that list
 * pagination, error codes and notifications are fully under our control.
 * Transports are attached by `stdio.ts` and `http.ts`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  type CallToolResult,
  type CompleteResult,
  type GetPromptResult,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
  type ServerNotification,
  type ServerRequest,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { DemoStats } from "./stats.js";

export { DemoStats, type DemoStatsSnapshot } from "./stats.js";

export interface DemoOptions {
  /** Server name reported in `initialize` and by `whoami` (default "demo"). */
  name?: string;
  /** Free-form variant label reported by `whoami` (default "default"). */
  variant?: string;
  /** When > 0, list results are paginated with this page size. */
  pageSize?: number;
  /** When > 0, every tools/call waits this long before running. */
  delayMs?: number;
  /** Registers the `crash` tool, which exits the process with code 3. */
  crashTool?: boolean;
  /** Makes `add` return a + b + 1 (for shadow-diff tests). */
  wrongAdd?: boolean;
}

/** JSON-RPC code used by the `fail` tool. */
export const DEMO_FAILURE_CODE = -32099;
/** JSON-RPC code for unknown resources (MCP convention). */
export const RESOURCE_NOT_FOUND_CODE = -32002;

type Args = Record<string, unknown>;
type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

interface ToolContext {
  args: Args;
  extra: Extra;
  opts: DemoOptions;
  stats: DemoStats;
  server: Server;
}

interface DemoTool {
  definition: Tool;
  run(ctx: ToolContext): CallToolResult | Promise<CallToolResult>;
}

// ---------------------------------------------------------------------------
// Small helpers

/**
 * Builds an McpError whose wire message is exactly `message`. (The McpError
 * constructor prefixes "MCP error <code>: ", and the SDK serialises
 * `error.message` verbatim, so we undo the prefix.)
 */
function rpcError(code: number, message: string, data?: unknown): McpError {
  const error = new McpError(code, message, data);
  error.message = message;
  return error;
}

function invalidParams(message: string): McpError {
  return rpcError(ErrorCode.InvalidParams, message);
}

function text(value: string): CallToolResult {
  return { content: [{ type: "text", text: value }] };
}

function stringArg(args: Args, key: string): string {
  const value = args[key];
  if (typeof value !== "string") throw invalidParams(`Argument "${key}" must be a string`);
  return value;
}

function numberArg(args: Args, key: string, fallback?: number): number {
  const value = args[key] ?? fallback;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw invalidParams(`Argument "${key}" must be a finite number`);
  }
  return value;
}

function objectSchema(properties: Record<string, object> = {}, required: string[] = []): Tool["inputSchema"] {
  return { type: "object", properties, ...(required.length > 0 && { required }) };
}

/** A promise that settles only when the request is cancelled or the session closes. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

/** Slices `items` according to an offset cursor; see the module header. */
function paginate<T>(items: readonly T[], cursor: string | undefined, pageSize: number | undefined) {
  let offset = 0;
  if (cursor !== undefined) {
    offset = /^\d+$/.test(cursor) ? Number(cursor) : Number.NaN;
    if (!Number.isSafeInteger(offset) || offset > items.length) {
      throw invalidParams(`Invalid cursor: ${cursor}`);
    }
  }
  const size = pageSize !== undefined && pageSize > 0 ? pageSize : items.length;
  const end = offset + size;
  return { page: items.slice(offset, end), ...(end < items.length && { nextCursor: String(end) }) };
}

// ---------------------------------------------------------------------------
// Tools

const READ_ONLY = { readOnlyHint: true } as const;

function staticTools(opts: DemoOptions): DemoTool[] {
  const tools: DemoTool[] = [
    {
      definition: {
        name: "echo",
        description: "Echoes the given message.",
        inputSchema: objectSchema({ message: { type: "string" } }, ["message"]),
        annotations: READ_ONLY,
      },
      run: ({ args }) => text(stringArg(args, "message")),
    },
    {
      definition: {
        name: "add",
        description: "Adds two numbers.",
        inputSchema: objectSchema({ a: { type: "number" }, b: { type: "number" } }, ["a", "b"]),
        annotations: READ_ONLY,
      },
      run: ({ args }) => {
        const sum = numberArg(args, "a") + numberArg(args, "b") + (opts.wrongAdd ? 1 : 0);
        return { ...text(String(sum)), structuredContent: { sum } };
      },
    },
    {
      definition: {
        name: "time",
        description: "Returns the current time (a volatile field).",
        inputSchema: objectSchema(),
        annotations: READ_ONLY,
      },
      run: () => ({ ...text("ok"), structuredContent: { ok: true, at: new Date().toISOString() } }),
    },
    {
      definition: {
        name: "whoami",
        description: "Returns <name>:<variant> of this server.",
        inputSchema: objectSchema(),
        annotations: READ_ONLY,
      },
      run: () => text(`${serverName(opts)}:${opts.variant ?? "default"}`),
    },
    {
      definition: {
        name: "write_note",
        description: "Pretends to save a note (a non-read-only tool).",
        inputSchema: objectSchema({ text: { type: "string" } }, ["text"]),
        annotations: { readOnlyHint: false, destructiveHint: false },
      },
      run: ({ args }) => {
        stringArg(args, "text");
        return text("saved");
      },
    },
    {
      definition: {
        name: "slow",
        description: "Sleeps for `ms` milliseconds in `steps` steps, reporting progress.",
        inputSchema: objectSchema({
          ms: { type: "number", minimum: 0, default: 200 },
          steps: { type: "integer", minimum: 1, default: 4 },
        }),
        annotations: READ_ONLY,
      },
      run: runSlow,
    },
    {
      definition: {
        name: "fail",
        description: `Fails with JSON-RPC error ${DEMO_FAILURE_CODE} and error data.`,
        inputSchema: objectSchema(),
        annotations: READ_ONLY,
      },
      run: () => {
        throw rpcError(DEMO_FAILURE_CODE, "demo failure", { reason: "requested" });
      },
    },
    {
      definition: {
        name: "tool_error",
        description: "Returns a tool-level error result (isError: true).",
        inputSchema: objectSchema(),
        annotations: READ_ONLY,
      },
      run: () => ({ ...text("tool reported an error"), isError: true }),
    },
    {
      definition: {
        name: "hang",
        description: "Never answers (until cancelled).",
        inputSchema: objectSchema(),
        annotations: READ_ONLY,
      },
      run: ({ extra }) => untilAborted(extra.signal),
    },
    {
      definition: {
        name: "add_tool",
        description: "Adds a tool named `name` (echoing dynamic:<name>) and announces list_changed.",
        inputSchema: objectSchema({ name: { type: "string", minLength: 1 } }, ["name"]),
        annotations: { readOnlyHint: false, destructiveHint: false },
      },
      run: runAddTool,
    },
  ];
  if (opts.crashTool) tools.push(crashTool());
  return tools;
}

function crashTool(): DemoTool {
  return {
    definition: {
      name: "crash",
      description: "Exits the server process with code 3 without answering.",
      inputSchema: objectSchema(),
      annotations: { readOnlyHint: false, destructiveHint: true },
    },
    run: () => {
      process.nextTick(() => process.exit(3));
      return new Promise<never>(() => {});
    },
  };
}

async function runSlow({ args, extra }: ToolContext): Promise<CallToolResult> {
  const ms = numberArg(args, "ms", 200);
  const steps = numberArg(args, "steps", 4);
  if (ms < 0) throw invalidParams('Argument "ms" must be >= 0');
  if (!Number.isInteger(steps) || steps < 1) throw invalidParams('Argument "steps" must be an integer >= 1');
  const progressToken = extra._meta?.progressToken;
  for (let step = 1; step <= steps; step++) {
    await sleep(ms / steps, undefined, { signal: extra.signal });
    if (progressToken === undefined) continue;
    await extra.sendNotification({
      method: "notifications/progress",
      params: { progressToken, progress: step, total: steps, message: `step ${step}/${steps}` },
    });
  }
  return text("done");
}

async function runAddTool({ args, extra, stats, server, opts }: ToolContext): Promise<CallToolResult> {
  const name = stringArg(args, "name");
  if (name.length === 0) throw invalidParams('Argument "name" must not be empty');
  if (staticTools(opts).some((tool) => tool.definition.name === name)) {
    throw invalidParams(`Tool already exists: ${name}`);
  }
  // Other sessions are told via their servers' listeners; the calling session
  // gets the notification tied to this request so that streamable HTTP
  // delivers it on the request's own stream, before the result.
  stats.addDynamicTool(name, server);
  await extra.sendNotification({ method: "notifications/tools/list_changed" });
  return text("added");
}

function dynamicTool(name: string): DemoTool {
  return {
    definition: {
      name,
      description: `Dynamically added tool; answers dynamic:${name}.`,
      inputSchema: objectSchema(),
      annotations: READ_ONLY,
    },
    run: () => text(`dynamic:${name}`),
  };
}

function allTools(opts: DemoOptions, stats: DemoStats): DemoTool[] {
  return [...staticTools(opts), ...stats.dynamicToolNames.map(dynamicTool)];
}

// ---------------------------------------------------------------------------
// Prompts, resources and completions

const PROMPTS: Prompt[] = [
  {
    name: "greet",
    description: "Greets someone by name.",
    arguments: [{ name: "name", description: "Who to greet", required: true }],
  },
  { name: "summary", description: "Asks for a summary of the demo server." },
];

const GREET_NAMES = ["alice", "albert", "bob"];

function getPrompt(name: string, args: Record<string, string>, opts: DemoOptions): GetPromptResult {
  switch (name) {
    case "greet": {
      const who = args["name"];
      if (who === undefined) throw invalidParams('Missing required argument "name"');
      return userMessage("A greeting", `Hello, ${who}!`);
    }
    case "summary":
      return userMessage("A summary request", `Summarize what the demo server ${serverName(opts)} offers.`);
    default:
      throw invalidParams(`Unknown prompt: ${name}`);
  }
}

function userMessage(description: string, body: string): GetPromptResult {
  return { description, messages: [{ role: "user", content: { type: "text", text: body } }] };
}

const RESOURCES: Resource[] = [
  { uri: "demo://info", name: "info", mimeType: "text/plain", description: "Server name" },
  { uri: "demo://readme", name: "readme", mimeType: "text/markdown", description: "About this server" },
];

const RESOURCE_TEMPLATES: ResourceTemplate[] = [
  { uriTemplate: "demo://item/{id}", name: "item", mimeType: "text/plain", description: "An item by id" },
];

const ITEM_URI = /^demo:\/\/item\/([^/?#]+)$/;

function readResource(uri: string, opts: DemoOptions): ReadResourceResult {
  const body = resourceText(uri, opts);
  if (body === undefined) throw rpcError(RESOURCE_NOT_FOUND_CODE, "Resource not found", { uri });
  return { contents: [{ uri, mimeType: body.mimeType, text: body.text }] };
}

function resourceText(uri: string, opts: DemoOptions): { mimeType: string; text: string } | undefined {
  if (uri === "demo://info") return { mimeType: "text/plain", text: `demo server ${serverName(opts)}` };
  if (uri === "demo://readme") {
    return { mimeType: "text/markdown", text: `# Demo server\n\nA configurable MCP server named ${serverName(opts)}.\n` };
  }
  const id = ITEM_URI.exec(uri)?.[1];
  return id === undefined ? undefined : { mimeType: "text/plain", text: `item ${id}` };
}

function complete(ref: { type: string; name?: string }, argument: { name: string; value: string }): CompleteResult {
  const candidates = ref.type === "ref/prompt" && ref.name === "greet" && argument.name === "name" ? GREET_NAMES : [];
  const values = candidates.filter((value) => value.startsWith(argument.value));
  return { completion: { values, total: values.length, hasMore: false } };
}

function serverName(opts: DemoOptions): string {
  return opts.name ?? "demo";
}

// ---------------------------------------------------------------------------
// Server assembly

/** Creates one Server (one per session); `stats` is shared across sessions. */
export function createDemoServer(opts: DemoOptions, stats: DemoStats): Server {
  const server = new Server(
    { name: serverName(opts), version: "1.0.0" },
    {
      capabilities: {
        tools: { listChanged: true },
        prompts: { listChanged: true },
        resources: { listChanged: true, subscribe: false },
        completions: {},
        logging: {},
      },
    },
  );
  registerToolHandlers(server, opts, stats);
  registerPromptHandlers(server, opts, stats);
  registerResourceHandlers(server, opts, stats);
  server.setRequestHandler(CompleteRequestSchema, (request) => complete(request.params.ref, request.params.argument));

  const unsubscribe = stats.onToolsChanged((origin) => {
    if (origin !== server) server.sendToolListChanged().catch(() => {});
  });
  server.onclose = unsubscribe;
  return server;
}

function registerToolHandlers(server: Server, opts: DemoOptions, stats: DemoStats): void {
  server.setRequestHandler(ListToolsRequestSchema, (request) => {
    const tools = allTools(opts, stats).map((tool) => tool.definition);
    const { page, ...rest } = paginate(tools, request.params?.cursor, opts.pageSize);
    return { tools: page, ...rest };
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    stats.record(`tool:${name}`, args);
    if (opts.delayMs !== undefined && opts.delayMs > 0) {
      await sleep(opts.delayMs, undefined, { signal: extra.signal });
    }
    const tool = allTools(opts, stats).find((candidate) => candidate.definition.name === name);
    if (tool === undefined) throw invalidParams(`Unknown tool: ${name}`);
    return tool.run({ args, extra, opts, stats, server });
  });
}

function registerPromptHandlers(server: Server, opts: DemoOptions, stats: DemoStats): void {
  server.setRequestHandler(ListPromptsRequestSchema, (request) => {
    const { page, ...rest } = paginate(PROMPTS, request.params?.cursor, opts.pageSize);
    return { prompts: page, ...rest };
  });

  server.setRequestHandler(GetPromptRequestSchema, (request) => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    stats.record(`prompt:${name}`, args);
    return getPrompt(name, args, opts);
  });
}

function registerResourceHandlers(server: Server, opts: DemoOptions, stats: DemoStats): void {
  server.setRequestHandler(ListResourcesRequestSchema, (request) => {
    const { page, ...rest } = paginate(RESOURCES, request.params?.cursor, opts.pageSize);
    return { resources: page, ...rest };
  });

  server.setRequestHandler(ListResourceTemplatesRequestSchema, (request) => {
    const { page, ...rest } = paginate(RESOURCE_TEMPLATES, request.params?.cursor, opts.pageSize);
    return { resourceTemplates: page, ...rest };
  });

  server.setRequestHandler(ReadResourceRequestSchema, (request) => {
    const { uri } = request.params;
    stats.record(`resource:${uri}`, { uri });
    return readResource(uri, opts);
  });
}
