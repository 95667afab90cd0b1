import { HttpBackend } from '../../src/backends/http.js';
import { startDemoHttpServer, type DemoHttpServer } from '../../src/demo/http.js';
import { freePort } from '../helpers/everything.js';
import { common, runBackendContract } from './backend.contract.js';

const servers: DemoHttpServer[] = [];
let deadPort = 1;

runBackendContract('http', {
  make: async (hooks) => {
    const s = await startDemoHttpServer({ name: 'demo' });
    servers.push(s);
    deadPort = await freePort();
    return new HttpBackend({ ...common, name: 'demo', hooks, url: s.url, connections: 8 });
  },
  makeBroken: () => new HttpBackend({ ...common, name: 'missing', url: `http://127.0.0.1:${deadPort}/mcp`, connections: 1 }),
  teardown: async () => {
    await Promise.all(servers.map((s) => s.close()));
  },
});
