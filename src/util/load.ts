/**
 * Loads a dependency on first use. Optional features (mirroring, argument
 * validation, metrics) bring large libraries (piscina, hdr-histogram-js, ajv,
 * prom-client: 40+ MiB together); a proxy that does not use a feature should
 * not pay for it in memory or startup time.
 */
import { createRequire } from 'node:module';

const req = createRequire(import.meta.url);

export function load<T>(id: string): T {
  return req(id) as T;
}
