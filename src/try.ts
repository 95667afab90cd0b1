/**
 * `mcp-relay try [URL]`: a one-line smoke test for a running proxy. Connects
 * with the MCP SDK client, lists the tools, and calls the first tool that
 * takes a `message` (the demo's aliased `local/say`).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export async function tryProxy(url: string): Promise<number> {
  const client = new Client({ name: 'mcp-relay-try', version: '1' });
  // a proxy with [auth] needs a token: taken from the environment, never from argv (ps shows argv)
  const token = process.env.MCP_RELAY_TOKEN;
  const requestInit = token ? { headers: { authorization: `Bearer ${token}` } } : undefined;
  await client.connect(new StreamableHTTPClientTransport(new URL(url), requestInit ? { requestInit } : undefined));
  const info = client.getServerVersion();
  process.stdout.write(`connected to ${info?.name} ${info?.version} at ${url}\n`);
  let cursor: string | undefined;
  const names: string[] = [];
  let target: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor });
    for (const t of page.tools) {
      names.push(t.name);
      const props = (t.inputSchema as { properties?: Record<string, unknown> }).properties ?? {};
      if (target === undefined && 'message' in props) target = t.name;
    }
    cursor = page.nextCursor;
  } while (cursor);
  process.stdout.write(`${names.length} tools: ${names.join(', ')}\n`);
  if (target) {
    const result = await client.callTool({ name: target, arguments: { message: 'hello through mcp-relay' } });
    process.stdout.write(`${target} → ${JSON.stringify(result.content)}\n`);
  }
  await client.close();
  return 0;
}
