/**
 * mcp-relay mirroring the floor's calls to a canary, with the [mirror] table
 * at its defaults (queue_size 1024, threads 1, concurrency 32, timeout_ms 5000):
 *   mirror-10    10 % to a healthy canary floor
 *   mirror-100   every call to a healthy canary floor
 *   mirror-slow  every call to a canary that answers after 1 s (the queue fills; copies are dropped)
 *   mirror-dead  every call to a canary port that refuses connections
 * The primary must not notice slow or dead canaries.
 */
import type { Scenario, ScenarioContext } from './types.js';
import { relayScenario } from './proxied.js';

function mirrorScenario(name: string, description: string, percent: number, canary: (ctx: ScenarioContext) => { url: string; pids: number[] }): Scenario {
  return {
    name,
    description,
    start(ctx) {
      const c = canary(ctx);
      return relayScenario(
        ctx,
        name,
        [
          { name: 'floor', transport: 'http', url: ctx.backends.floor.url },
          { name: 'canary', transport: 'http', url: c.url, mirror_of: 'floor', mirror_percent: percent },
        ],
        'floor/echo',
        true,
        [ctx.backends.floor.pid, ...c.pids],
      );
    },
  };
}

export const mirror10 = mirrorScenario('mirror-10', 'proxied-minimal + mirror 10 % of calls to a healthy canary floor', 10, (ctx) => ({ url: ctx.backends.canary.url, pids: [ctx.backends.canary.pid] }));
export const mirror100 = mirrorScenario('mirror-100', 'proxied-minimal + mirror 100 % of calls to a healthy canary floor', 100, (ctx) => ({ url: ctx.backends.canary.url, pids: [ctx.backends.canary.pid] }));
export const mirrorSlow = mirrorScenario('mirror-slow', 'mirror 100 % to a canary that answers after 1 s (floor --delay-ms 1000): queue saturates, copies dropped', 100, (ctx) => ({ url: ctx.backends.slow.url, pids: [ctx.backends.slow.pid] }));
export const mirrorDead = mirrorScenario('mirror-dead', 'mirror 100 % to a canary port that refuses connections', 100, (ctx) => ({ url: ctx.backends.deadUrl, pids: [] }));
