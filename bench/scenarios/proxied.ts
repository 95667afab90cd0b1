/**
 * mcp-relay in front of the HTTP floor:
 *   proxied-minimal  one backend, no policy
 *   proxied-auth     proxied-minimal + [auth] with a scoped bearer token on every request
 *   proxied-policy   alias + filter + argument validation (the policy stack, no mirror)
 *   proxied-loaded   the same policy + mirror 10 % to a canary floor (issue #4's definition;
 *                    metrics are always on and cost nothing per call: they are read at scrape time)
 */
import { relayToml, startRelay, type TomlBackend } from '../lib/relay.js';
import type { Running, Scenario, ScenarioContext } from './types.js';

export const MIRROR_DEFAULTS = { queue_size: 1024, threads: 1, concurrency: 32, timeout_ms: 5000 };

export async function relayScenario(ctx: ScenarioContext, name: string, backends: TomlBackend[], tool: string, withMirror: boolean, backendPids: number[], auth?: { toml: string; headers: Record<string, string> }): Promise<Running> {
  const toml = relayToml(backends, withMirror ? MIRROR_DEFAULTS : undefined) + (auth ? `\n${auth.toml}\n` : '');
  const r = await startRelay(name, toml, ctx.tmpDir, [], ctx.nodeArgs);
  return { url: r.url, tool, pids: [r.proc.pid], backendPids, adminUrl: r.adminUrl, tail: r.proc.tail, stop: r.stop, ...(auth ? { headers: auth.headers } : {}) };
}

export const proxiedMinimal: Scenario = {
  name: 'proxied-minimal',
  description: 'mcp-relay, one HTTP backend (the floor), no policy; client calls floor/echo',
  start: (ctx) => relayScenario(ctx, 'proxied-minimal', [{ name: 'floor', transport: 'http', url: ctx.backends.floor.url }], 'floor/echo', false, [ctx.backends.floor.pid]),
};

/** A bearer token on every request, checked by [auth] (one of 3 tokens; the caller's is scoped). */
const AUTH = {
  toml: ['[auth]', 'type = "bearer"', 'tokens = ["bench-full-token-000000000000"]', '', '[[auth.scoped_tokens]]', 'token = "bench-scoped-token-0000000000"', 'allow_tools = ["floor/*"]', '', '[[auth.scoped_tokens]]', 'token = "bench-other-token-00000000000"', 'deny_tools = ["floor/admin_*"]'].join('\n'),
  headers: { authorization: 'Bearer bench-scoped-token-0000000000' },
};

export const proxiedAuth: Scenario = {
  name: 'proxied-auth',
  description: 'proxied-minimal + [auth]: a scoped bearer token (allow_tools glob) checked on every request',
  start: (ctx) => relayScenario(ctx, 'proxied-auth', [{ name: 'floor', transport: 'http', url: ctx.backends.floor.url }], 'floor/echo', false, [ctx.backends.floor.pid], AUTH),
};

/** The policy every loaded scenario applies to the floor: an alias, a filter and schema validation. */
const POLICY = { aliases: [{ from: 'echo', to: 'echo2' }], extra: ['hide_tools = ["admin_*", "re:^debug"]', 'validate_arguments = true'] };

export const proxiedPolicy: Scenario = {
  name: 'proxied-policy',
  description: 'mcp-relay with the policy stack on the called tool: alias echo→echo2 + hide_tools filter + validate_arguments (ajv); no mirror',
  start: (ctx) => relayScenario(ctx, 'proxied-policy', [{ name: 'floor', transport: 'http', url: ctx.backends.floor.url, ...POLICY }], 'floor/echo2', false, [ctx.backends.floor.pid]),
};

export const proxiedLoaded: Scenario = {
  name: 'proxied-loaded',
  description: 'proxied-policy + mirror 10 % of calls to a canary floor (metrics are always on)',
  start: (ctx) =>
    relayScenario(
      ctx,
      'proxied-loaded',
      [
        { name: 'floor', transport: 'http', url: ctx.backends.floor.url, ...POLICY },
        { name: 'canary', transport: 'http', url: ctx.backends.canary.url, mirror_of: 'floor', mirror_percent: 10 },
      ],
      'floor/echo2',
      true,
      [ctx.backends.floor.pid, ctx.backends.canary.pid],
    ),
};
