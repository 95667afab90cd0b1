/** Every scenario, in the default run order, plus the group names --scenario accepts. */
import { floor } from './floor.js';
import { rawHop } from './raw-hop.js';
import { proxiedMinimal, proxiedAuth, proxiedPolicy, proxiedLoaded } from './proxied.js';
import { mirror10, mirror100, mirrorSlow, mirrorDead } from './mirror.js';
import { stdio } from './stdio.js';
import { mcpProxy, supergateway } from './peers.js';
import type { Scenario } from './types.js';

export const SCENARIOS: readonly Scenario[] = [floor, rawHop, proxiedMinimal, proxiedAuth, proxiedPolicy, proxiedLoaded, mirror10, mirror100, mirrorSlow, mirrorDead, stdio, mcpProxy, supergateway];

export const GROUPS: Record<string, readonly string[]> = {
  all: SCENARIOS.map((s) => s.name),
  peers: ['mcp-proxy', 'supergateway'],
  mirror: ['mirror-10', 'mirror-100', 'mirror-slow', 'mirror-dead'],
  proxied: ['proxied-minimal', 'proxied-auth', 'proxied-policy', 'proxied-loaded'],
};

/** Resolves a comma list of scenario and group names, keeping the default order. */
export function selectScenarios(list: string): Scenario[] {
  const wanted = new Set<string>();
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const names = GROUPS[raw] ?? [raw];
    for (const n of names) {
      if (!SCENARIOS.some((s) => s.name === n)) throw new Error(`unknown scenario "${n}" (known: ${SCENARIOS.map((s) => s.name).join(', ')}; groups: ${Object.keys(GROUPS).join(', ')})`);
      wanted.add(n);
    }
  }
  return SCENARIOS.filter((s) => wanted.has(s.name));
}
