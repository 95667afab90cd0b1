/** Library entry: build a proxy from a config in your own process. */
export { Relay, type RelayOptions } from './relay.js';
export { loadConfigFile, parseConfig } from './config/load.js';
export type { RelayConfig, BackendConfig } from './config/schema.js';
export { RelayError, ConfigError, ERRORS, type ErrorCode } from './errors.js';
export { createLogger, silentLogger } from './util/log.js';
export { serveStdio } from './server/stdio.js';
