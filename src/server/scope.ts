/**
 * What a scoped token ([[auth.scoped_tokens]]) may reach through tool names. Checked where
 * client-facing names are resolved (the dispatcher) and inside virtual tools, whose IO a
 * scoped token sees through `ioFor`: discovery shows only its tools, and composite or
 * `proxy/call_tool` targets outside the scope fail with TOOL_NOT_AUTHORIZED.
 */
import type { Principal } from './auth.js';
import { notAuthorized } from './auth.js';
import type { ToolIO, VirtualTools } from '../tools/virtual.js';

export class ToolScopes {
  readonly #virtual: VirtualTools;
  readonly #io: ToolIO;
  /** A scoped token's view of the virtual-tool IO, built once per token. */
  readonly #scopedIo = new WeakMap<Principal, ToolIO>();

  constructor(virtual: VirtualTools, io: ToolIO) {
    this.#virtual = virtual;
    this.#io = io;
  }

  /**
   * Whether a scoped token may call `name`: discovery tools always (they apply the scope
   * themselves); a composite only if its name and every target are allowed, so it can
   * never run part of itself on the token's behalf; any other tool by its exposed name.
   */
  allowed(name: string, canCall: (tool: string) => boolean): boolean {
    const tool = this.#virtual.get(name);
    if (tool?.scopeAware) return true;
    return canCall(name) && (tool?.targets ?? []).every(canCall);
  }

  /** A tools/list page (result JSON) without the tools a scoped token may not call. */
  toolPage(page: string, canCall: (tool: string) => boolean): string {
    const result = JSON.parse(page) as { tools: { name: string }[] };
    result.tools = result.tools.filter((t) => this.allowed(t.name, canCall));
    return JSON.stringify(result);
  }

  /** The virtual-tool IO as `principal` may use it (the shared one when unrestricted). */
  ioFor(principal: Principal | undefined): ToolIO {
    const canCall = principal?.canCall;
    if (!principal || !canCall) return this.#io;
    let io = this.#scopedIo.get(principal);
    if (!io) {
      const base = this.#io;
      io = {
        catalog: base.catalog,
        canCall,
        callRoute: base.callRoute,
        virtual: (name) => (this.allowed(name, canCall) ? base.virtual(name) : undefined),
        resolveTool: (name) => {
          if (!this.allowed(name, canCall)) throw notAuthorized(name);
          return base.resolveTool(name);
        },
      };
      this.#scopedIo.set(principal, io);
    }
    return io;
  }
}
