/** Every default value in one place. docs/configuration.md quotes these. */
export const DEFAULTS = {
  proxyName: 'mcp-relay',
  proxyVersion: '0.1.0',
  separator: '/',
  host: '127.0.0.1',
  port: 8080,
  path: '/mcp',
  /** Same cap as the MCP SDK's server transport. */
  maxBodyBytes: 4 * 1024 * 1024,
  maxSessions: 10_000,
  sessionIdleSeconds: 30 * 60,
  maxBatch: 100,
  shutdownTimeoutSeconds: 10,
  /** Per-request deadline when [backends.timeout] is absent (the SDK's own default). */
  backendTimeoutSeconds: 60,
  /** Largest single stdout line / SSE event a backend may send. */
  maxMessageBytes: 16 * 1024 * 1024,
  httpPoolConnections: 128,
  startupWaitSeconds: 10,
  restartBackoffMinMs: 250,
  restartBackoffMaxMs: 30_000,
  mirror: {
    /** Chosen with `npm run bench:mirror-queue`; see docs/mirroring.md. */
    queueSize: 1024,
    threads: 1,
    concurrency: 32,
    timeoutMs: 5_000,
    maxResultBytes: 256 * 1024,
    sampleSize: 50,
    sampleFieldBytes: 4096,
    ignorePaths: [] as string[],
  },
} as const;

/** Protocol revisions mcp-relay speaks on its front end, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;
export const LATEST_PROTOCOL_VERSION = SUPPORTED_PROTOCOL_VERSIONS[0];
/** What a request without MCP-Protocol-Version is assumed to speak (spec, 2025-06-18 §transports). */
export const DEFAULT_PROTOCOL_VERSION = '2025-03-26';
