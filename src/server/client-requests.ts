/**
 * Server→client requests (sampling, elicitation, roots) relayed to the client behind a
 * call, on that call's reply stream, under ids of the proxy's (`"~s<n>"`). A backend
 * connector decides which call a request belongs to (backends/backend.ts); this module
 * asks that call's client and turns its answer (a POST, or a stdin line) back into the
 * backend's answer. Every ask ends: answered, cancelled by the client, the call ending,
 * or the session closing.
 */
import type { ServerRequestAnswer, ServerRequestRelay } from '../backends/backend.js';
import type { RelayConfig } from '../config/schema.js';
import { idJson, notificationText, requestText, type JsonRpcResponse } from '../util/jsonrpc.js';
import type { Session } from './session.js';

/** Receives what must reach the client before a request's reply: progress, and relayed server→client requests. */
export type NotifySink = (json: string) => void;

/** Server→client requests one session may have outstanding (a backend cannot flood a client). */
const MAX_ASKED_PER_SESSION = 64;

/** [proxy] client_features → the server→client request each one lets a backend send. */
const FEATURE_METHOD = { sampling: 'sampling/createMessage', elicitation: 'elicitation/create', roots: 'roots/list' } as const;

export class ClientRequests {
  readonly #features: RelayConfig['proxy']['client_features'];
  #seq = 0;

  constructor(features: RelayConfig['proxy']['client_features']) {
    this.#features = features;
  }

  /** At initialize: what the client declared decides which requests it may be asked. */
  declare(session: Session, capabilities: unknown): void {
    if (!capabilities || typeof capabilities !== 'object' || Array.isArray(capabilities)) return;
    session.clientCapabilities = capabilities as Record<string, unknown>;
    for (const f of this.#features) if (session.clientCapabilities[f] !== undefined) session.askable.add(FEATURE_METHOD[f]);
  }

  /**
   * The relay for one client call, and `close` for when the call ends: questions the client
   * has not answered by then get an error for the backend and `notifications/cancelled` for
   * the client (which may still be sampling or showing a form).
   */
  open(session: Session, notify: NotifySink): { relay: ServerRequestRelay; close(): void } {
    const asked = new Set<string>();
    return {
      relay: (m, p) => this.#ask(session, m, p, notify, asked),
      close: () => {
        for (const k of asked) {
          this.#answered(session, k, { error: { code: -32603, message: 'The call ended before the client answered' } });
          notify(notificationText('notifications/cancelled', { requestId: JSON.parse(k) as string, reason: 'the call this request belonged to has ended' }));
        }
      },
    };
  }

  /** A client's answer to a relayed request; false when nothing awaits it. */
  response(session: Session, msg: JsonRpcResponse): boolean {
    let answer: ServerRequestAnswer;
    if (msg.error === undefined) answer = { result: msg.result ?? {} };
    else {
      const e = msg.error as unknown as Record<string, unknown> | null;
      const valid = typeof e === 'object' && e !== null && typeof e.code === 'number' && typeof e.message === 'string';
      answer = { error: valid ? msg.error : { code: -32603, message: 'The client answered with a malformed JSON-RPC error' } };
    }
    return this.#answered(session, idJson(msg.id), answer);
  }

  /** The client cancelled a relayed request (`notifications/cancelled`): the backend gets an error answer. */
  cancelled(session: Session, idText: string, reason: string): void {
    this.#answered(session, idText, { error: { code: -32603, message: `The client cancelled the request: ${reason}` } });
  }

  #ask(session: Session, method: string, params: Record<string, unknown> | undefined, notify: NotifySink, asked: Set<string>): Promise<ServerRequestAnswer> {
    if (!session.askable.has(method) || !modeDeclared(session, method, params)) {
      // the proxy told the backend it has roots: a client without them has none, which is an answer
      if (method === 'roots/list') return Promise.resolve({ result: { roots: [] } });
      return Promise.resolve({ error: { code: -32601, message: `The client did not declare the capability ${method} needs` } });
    }
    if (session.asked.size >= MAX_ASKED_PER_SESSION) return Promise.resolve({ error: { code: -32603, message: `Too many requests awaiting this client's answer (${MAX_ASKED_PER_SESSION})` } });
    const idText = `"~s${(this.#seq++).toString(36)}"`;
    return new Promise((resolve) => {
      session.asked.set(idText, (answer) => {
        asked.delete(idText);
        resolve(answer);
      });
      asked.add(idText);
      notify(requestText(idText, method, params));
    });
  }

  #answered(session: Session, idText: string, answer: ServerRequestAnswer): boolean {
    const resolve = session.asked.get(idText);
    if (!resolve) return false;
    session.asked.delete(idText);
    resolve(answer);
    return true;
  }
}

/**
 * Elicitation has modes (2025-11-25): `{}` or `{form:{}}` accepts forms, `{url:{}}` URLs.
 * A request in a mode the client did not declare is not sent to it.
 */
function modeDeclared(session: Session, method: string, params: Record<string, unknown> | undefined): boolean {
  if (method !== 'elicitation/create') return true;
  const declared = session.clientCapabilities.elicitation as Record<string, unknown> | undefined;
  const mode = typeof params?.mode === 'string' ? params.mode : 'form';
  if (!declared || typeof declared !== 'object') return false;
  if (Object.keys(declared).length === 0) return mode === 'form';
  return declared[mode] !== undefined;
}
