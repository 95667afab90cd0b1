/**
 * mcp-relay in front of the HTTP floor: minimal (one backend, no policy) and
 * loaded (alias + 10 % mirror to a canary floor).
 */
import { relayToml, startRelay, type TomlBackend } from '../lib/relay.js';
import type { Running, Scenario, ScenarioContext } from './types.js';

export const MIRROR_DEFAULTS = { queue_size: 1024, threads: 1, concurrency: 32, timeout_ms: 5000 };

export async function relayScenario(ctx: ScenarioContext, name: string, backends: TomlBackend[], tool: string, withMirror: boolean, backendPids: number[]): Promise<Running> {
  const r = await startRelay(name, relayToml(backends, withMirror ? MIRROR_DEFAULTS : undefined), ctx.tmpDir, [], ctx.nodeArgs);
  return { url: r.url, tool, pids: [r.proc.pid], backendPids, adminUrl: r.adminUrl, tail: r.proc.tail, stop: r.stop };
}

export const proxiedMinimal: Scenario = {
  name: 'proxied-minimal',
  description: 'mcp-relay, one HTTP backend (the floor), no policy; client calls floor/echo',
  start: (ctx) => relayScenario(ctx, 'proxied-minimal', [{ name: 'floor', transport: 'http', url: ctx.backends.floor.url }], 'floor/echo', false, [ctx.backends.floor.pid]),
};

export const proxiedLoaded: Scenario = {
  name: 'proxied-loaded',
  description:
    'mcp-relay with every implemented policy: alias echo→echo2 (client calls floor/echo2) + mirror 10 % to a canary floor. ' +
    'Filter, argument validation and metrics stages are not implemented yet (issue #5), so they are not in this scenario',
  start: (ctx) =>
    relayScenario(
      ctx,
      'proxied-loaded',
      [
        { name: 'floor', transport: 'http', url: ctx.backends.floor.url, aliases: [{ from: 'echo', to: 'echo2' }] },
        { name: 'canary', transport: 'http', url: ctx.backends.canary.url, mirror_of: 'floor', mirror_percent: 10 },
      ],
      'floor/echo2',
      true,
      [ctx.backends.floor.pid, ctx.backends.canary.pid],
    ),
};
