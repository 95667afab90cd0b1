/** Builds the connector a [[backends]] entry asks for. */
import type { BackendConfig } from '../config/schema.js';
import { DEFAULTS } from '../config/defaults.js';
import type { Logger } from '../util/log.js';
import type { Backend, BackendHooks } from './backend.js';
import { HttpBackend } from './http.js';
import { StdioBackend } from './stdio.js';

export interface FactoryOptions {
  clientName: string;
  clientVersion: string;
  /** Capabilities declared to the backend at initialize (what the proxy relays to clients). */
  clientCapabilities?: Record<string, unknown>;
  log: Logger;
  hooks?: BackendHooks;
  /** Overrides [backends.timeout] (mirror workers use mirror.timeout_ms). */
  timeoutMs?: number;
  connections?: number;
}

export function createBackend(cfg: BackendConfig, opts: FactoryOptions): Backend {
  const common = {
    name: cfg.name,
    clientName: opts.clientName,
    clientVersion: opts.clientVersion,
    clientCapabilities: opts.clientCapabilities ?? {},
    maxMessageBytes: cfg.max_message_bytes,
    timeoutMs: opts.timeoutMs ?? Math.round((cfg.timeout?.seconds ?? DEFAULTS.backendTimeoutSeconds) * 1000),
    log: opts.log,
    ...(opts.hooks ? { hooks: opts.hooks } : {}),
  };
  if (cfg.transport === 'stdio') {
    return new StdioBackend({ ...common, command: cfg.command!, args: cfg.args, env: cfg.env, cwd: cfg.cwd });
  }
  return new HttpBackend({ ...common, url: cfg.url!, bearerToken: cfg.bearer_token, connections: opts.connections ?? DEFAULTS.httpPoolConnections });
}
