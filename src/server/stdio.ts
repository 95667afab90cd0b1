/**
 * stdio front end (`mcp-relay --stdio`): a desktop client runs the proxy as a
 * local MCP server. One implicit session; newline-delimited JSON on stdin and
 * stdout (logs go to stderr). Requests run concurrently; each reply is written
 * as one line when ready, progress notifications before it.
 */
import { createInterface } from 'node:readline';
import type { Relay } from '../relay.js';
import { RelayError, toRpcError } from '../errors.js';
import { classify, errorText, idJson, resultText, type JsonRpcMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../util/jsonrpc.js';
import type { Session } from './session.js';

export function serveStdio(relay: Relay, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<void> {
  const write = (json: string): void => void output.write(json + '\n');
  let session: Session | undefined;
  const rl = createInterface({ input, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (!line.trim()) return;
    if (line.length > relay.config.proxy.http.max_body_bytes) {
      write(errorText('null', toRpcError(new RelayError('BODY_TOO_LARGE', `Message exceeds ${relay.config.proxy.http.max_body_bytes} bytes`))));
      return;
    }
    let msg: JsonRpcMessage;
    let kind;
    try {
      msg = JSON.parse(line) as JsonRpcMessage;
    } catch {
      write(errorText('null', toRpcError(new RelayError('PARSE_ERROR', 'Parse error: the line is not valid JSON'))));
      return;
    }
    try {
      kind = classify(msg);
    } catch (err) {
      write(errorText('null', toRpcError(err)));
      return;
    }
    if (kind === 'response') {
      // a client's answer to a relayed sampling/elicitation/roots request
      if (session) relay.dispatcher.response(session, msg as JsonRpcResponse);
      return;
    }
    if (kind === 'notification') {
      if (session) relay.dispatcher.notification(session, msg as JsonRpcNotification);
      return;
    }
    const req = msg as JsonRpcRequest;
    const id = idJson(req.id);
    if (req.method === 'initialize') {
      if (session) relay.sessions.delete(session.id);
      const started = relay.dispatcher.startSession(relay.sessions, req.params);
      session = started.session;
      session.push = write;
      session.streamOpen = true;
      write(resultText(id, started.result));
      return;
    }
    if (!session) {
      write(errorText(id, toRpcError(new RelayError('NOT_INITIALIZED', 'The first request must be initialize'))));
      return;
    }
    void relay.dispatcher.request(session, req, write).then(write);
  });
  return new Promise((resolve) => rl.once('close', resolve));
}
