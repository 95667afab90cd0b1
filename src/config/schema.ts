/**
 * The config schema (zod, strict: unknown keys are errors). Key names follow the
 * Rust mcp-proxy TOML format so its files load unchanged for every key we
 * support; mcp-relay's own keys live in [proxy.http] and [mirror].
 * Cross-field rules (mirror targets, alias collisions, names) are in validate.ts.
 */
import { z } from 'zod';
import { DEFAULTS } from './defaults.js';

const nonEmpty = z.string().min(1, 'must not be empty');
const port = z.number().int().min(0).max(65535);
const positiveInt = z.number().int().positive();

const listen = z
  .object({
    host: nonEmpty.default(DEFAULTS.host),
    port: port.default(DEFAULTS.port),
  })
  .strict();

const http = z
  .object({
    path: z.string().regex(/^\/[\w\-./]*$/, 'must be an absolute URL path like "/mcp"').default(DEFAULTS.path),
    max_body_bytes: positiveInt.default(DEFAULTS.maxBodyBytes),
    max_sessions: positiveInt.default(DEFAULTS.maxSessions),
    session_idle_seconds: positiveInt.default(DEFAULTS.sessionIdleSeconds),
    max_batch: positiveInt.default(DEFAULTS.maxBatch),
    /** Extra Origins allowed besides loopback ones; "*" allows any. */
    allowed_origins: z.array(nonEmpty).default([]),
  })
  .strict();

const proxy = z
  .object({
    name: nonEmpty.default(DEFAULTS.proxyName),
    version: nonEmpty.default(DEFAULTS.proxyVersion),
    separator: nonEmpty.default(DEFAULTS.separator),
    instructions: z.string().optional(),
    shutdown_timeout_seconds: positiveInt.default(DEFAULTS.shutdownTimeoutSeconds),
    tool_exposure: z.enum(['direct', 'search']).default('direct'),
    tool_discovery: z.boolean().default(false),
    /** Client capabilities declared to backends and relayed to the calling client (server→client requests). */
    client_features: z.array(z.enum(['sampling', 'elicitation', 'roots'])).default(['sampling', 'elicitation']),
    listen: listen.default({ host: DEFAULTS.host, port: DEFAULTS.port }),
    http: http.prefault({}),
  })
  .strict();

const alias = z.object({ from: nonEmpty, to: nonEmpty }).strict();
const patterns = z.array(nonEmpty).optional();
const jsonObject = z.record(z.string(), z.unknown());
const injectArgs = z.object({ tool: nonEmpty, args: jsonObject, overwrite: z.boolean().default(false) }).strict();
const paramOverride = z
  .object({
    tool: nonEmpty,
    hide: z.array(nonEmpty).default([]),
    rename: z.record(z.string(), nonEmpty).default({}),
    defaults: jsonObject.default({}),
  })
  .strict();

const backend = z
  .object({
    name: nonEmpty,
    transport: z.enum(['stdio', 'http']),
    // stdio
    command: nonEmpty.optional(),
    args: z.array(z.string()).default([]),
    env: z.record(z.string(), z.string()).default({}),
    cwd: nonEmpty.optional(),
    // http
    url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    bearer_token: nonEmpty.optional(),
    // shaping (see src/pipeline/stages/)
    aliases: z.array(alias).default([]),
    expose_tools: patterns,
    hide_tools: patterns,
    expose_resources: patterns,
    hide_resources: patterns,
    expose_prompts: patterns,
    hide_prompts: patterns,
    hide_destructive: z.boolean().default(false),
    read_only_only: z.boolean().default(false),
    validate_arguments: z.boolean().default(false),
    default_args: jsonObject.default({}),
    inject_args: z.array(injectArgs).default([]),
    param_overrides: z.array(paramOverride).default([]),
    timeout: z.object({ seconds: z.number().positive() }).strict().optional(),
    max_message_bytes: positiveInt.default(DEFAULTS.maxMessageBytes),
    // mirroring
    mirror_of: nonEmpty.optional(),
    mirror_percent: z.number().int().min(1, 'must be 1..100 (0 would mirror nothing; remove mirror_of instead)').max(100, 'must be 1..100').optional(),
    mirror_read_only: z.boolean().default(false),
    mirror_tools: z.array(nonEmpty).optional(),
  })
  .strict();

const mirror = z
  .object({
    queue_size: positiveInt.default(DEFAULTS.mirror.queueSize),
    threads: positiveInt.max(64).default(DEFAULTS.mirror.threads),
    concurrency: positiveInt.max(1024).default(DEFAULTS.mirror.concurrency),
    timeout_ms: positiveInt.default(DEFAULTS.mirror.timeoutMs),
    max_result_bytes: positiveInt.default(DEFAULTS.mirror.maxResultBytes),
    sample_size: z.number().int().min(0).max(10_000).default(DEFAULTS.mirror.sampleSize),
    ignore_paths: z.array(nonEmpty).default([]),
  })
  .strict();

const security = z.object({ admin_token: nonEmpty.optional(), max_argument_size: positiveInt.optional() }).strict();

const scopedToken = z.object({ token: nonEmpty, allow_tools: z.array(nonEmpty).optional(), deny_tools: z.array(nonEmpty).optional() }).strict();
/** Inbound authentication of MCP clients (the mcp-proxy `[auth]` table; type "bearer" only). */
const auth = z
  .object({
    type: z.literal('bearer'),
    tokens: z.array(nonEmpty).default([]),
    scoped_tokens: z.array(scopedToken).default([]),
  })
  .strict();

const compositeTool = z
  .object({
    name: nonEmpty,
    description: z.string().default(''),
    tools: z.array(nonEmpty).min(1, 'needs at least one target tool'),
    strategy: z.enum(['parallel']).default('parallel'),
    timeout_seconds: z.number().positive().optional(),
  })
  .strict();

const observability = z
  .object({
    log_level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
    json_logs: z.boolean().default(false),
  })
  .strict();

export const configSchema = z
  .object({
    proxy: proxy.prefault({}),
    backends: z.array(backend).min(1, 'at least one [[backends]] entry is required'),
    composite_tools: z.array(compositeTool).default([]),
    mirror: mirror.prefault({}),
    security: security.prefault({}),
    auth: auth.optional(),
    observability: observability.prefault({}),
  })
  .strict();

export type RelayConfig = z.infer<typeof configSchema>;
export type BackendConfig = RelayConfig['backends'][number];
export type MirrorSettings = RelayConfig['mirror'];
export type CompositeConfig = RelayConfig['composite_tools'][number];
