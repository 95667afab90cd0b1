import { StdioBackend } from '../../src/backends/stdio.js';
import { DEMO_STDIO } from '../helpers/proxy.js';
import { common, runBackendContract } from './backend.contract.js';

runBackendContract('stdio', {
  make: async (hooks) => new StdioBackend({ ...common, name: 'demo', hooks, command: process.execPath, args: [DEMO_STDIO, '--name', 'demo'], env: {} }),
  makeBroken: () => new StdioBackend({ ...common, name: 'missing', command: '/nonexistent/mcp-server', args: [], env: {} }),
});
