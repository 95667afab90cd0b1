/**
 * The embedded demo behind `npm start`: two in-process HTTP demo servers (a
 * primary and a canary that answers `add` wrongly, to show shadow diffs) and
 * one bundled stdio demo server spawned by the proxy, with one alias.
 */
import { fileURLToPath } from 'node:url';
import { startDemoHttpServer } from './http.js';

export interface EmbeddedDemo {
  toml: string;
  close(): Promise<void>;
}

export async function startDemo(): Promise<EmbeddedDemo> {
  const primary = await startDemoHttpServer({ name: 'remote' });
  const canary = await startDemoHttpServer({ name: 'remote', variant: 'canary', wrongAdd: true });
  const stdioServer = fileURLToPath(new URL('./stdio.js', import.meta.url));
  const toml = `# Embedded demo config (mcp-relay with no --config).
[proxy]
name = "mcp-relay-demo"

[proxy.listen]
host = "127.0.0.1"
port = 8080

[[backends]]
name = "local"
transport = "stdio"
command = ${JSON.stringify(process.execPath)}
args = [${JSON.stringify(stdioServer)}, "--name", "local"]

[[backends.aliases]]
from = "echo"
to = "say"

[[backends]]
name = "remote"
transport = "http"
url = "${primary.url}"

[[backends]]
name = "remote-canary"
transport = "http"
url = "${canary.url}"
mirror_of = "remote"
mirror_percent = 50
mirror_read_only = true
`;
  return {
    toml,
    async close() {
      await Promise.allSettled([primary.close(), canary.close()]);
    },
  };
}
