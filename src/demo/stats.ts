/**
 * Process-wide bookkeeping for the demo MCP server.
 *
 * One `DemoStats` instance is shared by every session served by a process (or
 * by one `startDemoHttpServer` instance). It counts calls per key
 * (`tool:<name>`, `prompt:<name>`, `resource:<uri>`), keeps the most recent
 * argument objects per key, and owns the registry of tools added at runtime
 * through the `add_tool` tool so that every session sees the same tool list.
 */

/** How many argument objects are kept per key. */
export const MAX_RECORDED_ARGS = 50;

/** JSON shape produced by `DemoStats.toJSON()` (served by `GET /stats`). */
export interface DemoStatsSnapshot {
  calls: Record<string, number>;
  args: Record<string, unknown[]>;
  dynamicTools: string[];
}

/** Called with the origin passed to `addDynamicTool` (usually a Server). */
export type ToolsChangedListener = (origin: unknown) => void;

export class DemoStats {
  /** Number of calls per key, e.g. `{ "tool:echo": 3 }`. */
  calls: Record<string, number> = {};
  /** Last `MAX_RECORDED_ARGS` argument objects per key, oldest first. */
  args: Record<string, unknown[]> = {};
  /** Invoked synchronously after every `record()` (used for --stats-file). */
  onRecord?: (stats: DemoStats) => void;

  private readonly dynamicTools: string[] = [];
  private readonly toolListeners = new Set<ToolsChangedListener>();

  record(key: string, args: unknown): void {
    this.calls[key] = (this.calls[key] ?? 0) + 1;
    const history = (this.args[key] ??= []);
    history.push(args ?? {});
    if (history.length > MAX_RECORDED_ARGS) history.shift();
    this.onRecord?.(this);
  }

  /** Clears call counters and argument history; dynamic tools are kept. */
  reset(): void {
    this.calls = {};
    this.args = {};
  }

  get dynamicToolNames(): readonly string[] {
    return this.dynamicTools;
  }

  /**
   * Registers a runtime tool (no-op if already present) and tells every
   * subscribed server except `origin` that the tool list changed.
   */
  addDynamicTool(name: string, origin?: unknown): void {
    if (!this.dynamicTools.includes(name)) this.dynamicTools.push(name);
    for (const listener of this.toolListeners) listener(origin);
  }

  /** Subscribes to tool-list changes; returns the unsubscribe function. */
  onToolsChanged(listener: ToolsChangedListener): () => void {
    this.toolListeners.add(listener);
    return () => this.toolListeners.delete(listener);
  }

  toJSON(): DemoStatsSnapshot {
    return {
      calls: { ...this.calls },
      args: Object.fromEntries(Object.entries(this.args).map(([key, list]) => [key, [...list]])),
      dynamicTools: [...this.dynamicTools],
    };
  }
}
