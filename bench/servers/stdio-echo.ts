/**
 * A line-based JSON-RPC echo MCP server on stdin/stdout, answering exactly like
 * the HTTP floor (echo-protocol.ts). Hand-written (no SDK) so the stdio side is
 * as cheap as possible and the scenarios measure the proxies, not the backend.
 * Answers produced from one stdin chunk are written with one write().
 */
import { answer } from './echo-protocol.js';

let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => {
  buf += chunk;
  let out = '';
  let start = 0;
  for (;;) {
    const nl = buf.indexOf('\n', start);
    if (nl < 0) break;
    const line = buf.slice(start, nl);
    start = nl + 1;
    if (line.length === 0 || line === '\r') continue;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    const reply = answer(msg as Parameters<typeof answer>[0], 'stdio-echo');
    if (reply !== undefined) out += reply + '\n';
  }
  buf = buf.slice(start);
  if (out) process.stdout.write(out);
});
process.stdin.on('end', () => process.exit(0));
process.stdout.on('error', () => process.exit(0));
