/**
 * The echo MCP server's answers, shared by the HTTP floor and the stdio echo
 * server so every scenario talks to byte-identical backend logic.
 *   initialize                → protocolVersion (the requested one if known), tools capability
 *   notifications/*           → no answer
 *   ping                      → {}
 *   tools/list                → one tool `echo` {n:number,msg:string}, readOnlyHint
 *   tools/call echo           → {content:[{type:"text",text:JSON.stringify(arguments)}]}
 *   tools/call <other>        → JSON-RPC error -32602
 *   anything else             → JSON-RPC error -32601
 * Hand-written for speed: no SDK, no validation beyond what the answer needs.
 */

export const SERVER_VERSIONS = new Set(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);

export const TOOLS_LIST = JSON.stringify({
  tools: [
    {
      name: 'echo',
      description: 'Returns its arguments as JSON text.',
      inputSchema: { type: 'object', properties: { n: { type: 'number' }, msg: { type: 'string' } }, required: ['n', 'msg'] },
      annotations: { readOnlyHint: true },
    },
  ],
});

interface Message {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: { name?: unknown; arguments?: unknown; protocolVersion?: unknown } | null;
}

/** JSON text of the answer, or undefined for notifications and responses. */
export function answer(msg: Message, serverName: string): string | undefined {
  if (typeof msg !== 'object' || msg === null || typeof msg.method !== 'string') return undefined;
  if (msg.id === undefined || msg.id === null) return undefined;
  const id = JSON.stringify(msg.id);
  switch (msg.method) {
    case 'tools/call': {
      const name = msg.params?.name;
      if (name !== 'echo') return error(id, -32602, `Unknown tool: ${String(name)}`);
      const text = JSON.stringify(JSON.stringify(msg.params?.arguments ?? {}));
      return `{"jsonrpc":"2.0","id":${id},"result":{"content":[{"type":"text","text":${text}}]}}`;
    }
    case 'tools/list':
      return `{"jsonrpc":"2.0","id":${id},"result":${TOOLS_LIST}}`;
    case 'initialize': {
      const asked = msg.params?.protocolVersion;
      const version = typeof asked === 'string' && SERVER_VERSIONS.has(asked) ? asked : '2025-11-25';
      const result = { protocolVersion: version, capabilities: { tools: {} }, serverInfo: { name: serverName, version: '1.0.0' } };
      return `{"jsonrpc":"2.0","id":${id},"result":${JSON.stringify(result)}}`;
    }
    case 'ping':
      return `{"jsonrpc":"2.0","id":${id},"result":{}}`;
    default:
      return error(id, -32601, `Method not found: ${msg.method}`);
  }
}

function error(id: string, code: number, message: string): string {
  return `{"jsonrpc":"2.0","id":${id},"error":{"code":${code},"message":${JSON.stringify(message)}}}`;
}
