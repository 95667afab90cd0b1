/**
 * Server→client requests through the proxy: a backend's sampling/createMessage or
 * elicitation/create sent during a tools/call reaches the client that made the call
 * (and only that client), on the call's own response stream, and the client's answer
 * goes back to the backend. server-everything registers its sampling and elicitation
 * tools only for a client that declared those capabilities, so seeing them at all
 * proves the proxy declared them (`[proxy] client_features`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { CLI, connect, everythingStdio, eventually, rawSession, sseEvents, startProxy, tempFile, type ProxyHandle } from '../helpers/proxy.js';
import { startEverythingHttp } from '../helpers/everything.js';

let proxy: ProxyHandle;
/** The same HTTP backend with a 1 s [backends.timeout], for calls that end while the client is being asked. */
let shortProxy: ProxyHandle;
let everythingHttp: Awaited<ReturnType<typeof startEverythingHttp>>;
const clients: Client[] = [];

/** A client that answers sampling with `answer` and declines every elicitation; records what it was asked. */
async function assistant(answer: string): Promise<{ client: Client; prompts: string[] }> {
  const client = new Client({ name: `assistant-${answer}`, version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
  const prompts: string[] = [];
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    const first = req.params.messages[0]?.content;
    prompts.push(first && 'text' in first ? String(first.text) : '');
    return { model: 'test-model', role: 'assistant', content: { type: 'text', text: answer } };
  });
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' }));
  await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
  clients.push(client);
  return { client, prompts };
}

const text = (r: unknown): string => ((r as { content: { text?: string }[] }).content).map((c) => c.text ?? '').join('\n');

beforeAll(async () => {
  everythingHttp = await startEverythingHttp();
  proxy = await startProxy(`
[[composite_tools]]
name = "ask_twice"
tools = ["evh/trigger-sampling-request", "ev/trigger-sampling-request"]

[[backends]]
name = "ev"
transport = "stdio"
${everythingStdio()}

[[backends]]
name = "evh"
transport = "http"
url = "${everythingHttp.url}"
`);
  shortProxy = await startProxy(`[[backends]]\nname = "evh"\ntransport = "http"\nurl = "${everythingHttp.url}"\n[backends.timeout]\nseconds = 1\n`);
  // server-everything adds its capability-gated tools after initialize and announces them
  const probe = await connect(proxy.url);
  clients.push(probe);
  await eventually(async () => {
    const names = (await probe.listTools()).tools.map((t) => t.name);
    return names.includes('evh/trigger-sampling-request') && names.includes('ev/trigger-sampling-request') && names.includes('evh/trigger-elicitation-request');
  }, 'the sampling and elicitation tools to be listed', 30_000);
});

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled([proxy?.stop(), shortProxy?.stop()]);
  everythingHttp?.stop();
});

describe('sampling relayed to the calling client', () => {
  it.each(['evh', 'ev'])('%s: the backend asks, the calling client answers, the answer reaches the tool result', async (backend) => {
    const { client, prompts } = await assistant(`answer-from-${backend}`);
    const r = await client.callTool({ name: `${backend}/trigger-sampling-request`, arguments: { prompt: 'what is 2+2?', maxTokens: 10 } });
    expect(r.isError).toBeFalsy();
    expect(text(r)).toContain(`answer-from-${backend}`);
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toContain('what is 2+2?');
  });

  it('through a composite tool: each target\'s request reaches the client that called the composite', async () => {
    const { client, prompts } = await assistant('composite-answer');
    const r = await client.callTool({ name: 'ask_twice', arguments: { prompt: 'fan out', maxTokens: 5 } });
    expect(r.isError).toBeFalsy();
    expect(text(r).match(/composite-answer/g)).toHaveLength(2);
    expect(prompts).toHaveLength(2);
  });

  it('many clients calling at once each get their own answer (per-client routing on one shared backend session)', async () => {
    const team = await Promise.all(['alice', 'bob', 'carol'].map((n) => assistant(n)));
    const calls = team.flatMap(({ client }, i) =>
      Array.from({ length: 4 }, (_, k) => client.callTool({ name: 'evh/trigger-sampling-request', arguments: { prompt: `q-${i}-${k}`, maxTokens: 5 } }).then((r) => ({ i, k, r }))),
    );
    for (const { i, k, r } of await Promise.all(calls)) {
      expect(text(r)).toContain(['alice', 'bob', 'carol'][i]!);
      expect(team[i]!.prompts.some((p) => p.includes(`q-${i}-${k}`))).toBe(true);
    }
    // nobody was asked on behalf of someone else
    team.forEach(({ prompts }, i) => {
      expect(prompts).toHaveLength(4);
      expect(prompts.every((p) => p.includes(`q-${i}-`))).toBe(true);
    });
  });

  it('a client that did not declare sampling gets a tool error naming the capability, and nobody else is asked', async () => {
    const bystander = await assistant('bystander');
    const plain = await connect(proxy.url, 'no-sampling');
    clients.push(plain);
    const r = await plain.callTool({ name: 'evh/trigger-sampling-request', arguments: { prompt: 'x', maxTokens: 5 } });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('sampling/createMessage not relayed: the client behind this call did not declare that capability');
    expect(bystander.prompts).toHaveLength(0);
  });
});

describe('never the wrong client', () => {
  it('stdio: while another client\'s call is in flight on the same child, the request is refused, not guessed', async () => {
    const busy = await assistant('busy');
    const asker = await assistant('asker');
    let started!: () => void;
    const progressed = new Promise<void>((r) => (started = r));
    const long = busy.client.callTool({ name: 'ev/trigger-long-running-operation', arguments: { duration: 3, steps: 30 } }, undefined, { onprogress: () => started(), timeout: 30_000 });
    await progressed; // the child is working on busy's call
    const r = await asker.client.callTool({ name: 'ev/trigger-sampling-request', arguments: { prompt: 'whose?', maxTokens: 5 } });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain('not relayed');
    await long;
    expect(busy.prompts).toHaveLength(0);
    expect(asker.prompts).toHaveLength(0);
    // once the child is idle again, the same call is relayed
    const again = await asker.client.callTool({ name: 'ev/trigger-sampling-request', arguments: { prompt: 'now?', maxTokens: 5 } });
    expect(text(again)).toContain('asker');
  });

  it('a client that declared only URL-mode elicitation is not sent a form', async () => {
    const client = new Client({ name: 'url-only', version: '1.0.0' }, { capabilities: { elicitation: { url: {} } } });
    let asked = 0;
    client.setRequestHandler(ElicitRequestSchema, async () => {
      asked++;
      return { action: 'decline' };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url)));
    clients.push(client);
    const r = await client.callTool({ name: 'evh/trigger-elicitation-request', arguments: {} });
    expect(r.isError).toBe(true);
    expect(asked).toBe(0);
  });

  it('when the call ends before the client answers, the client is told to stop (notifications/cancelled)', async () => {
    const client = new Client({ name: 'slow-thinker', version: '1.0.0' }, { capabilities: { sampling: {} } });
    let aborted = false;
    client.setRequestHandler(CreateMessageRequestSchema, (_req, extra) => new Promise((_resolve, reject) => {
      extra.signal.addEventListener('abort', () => {
        aborted = true;
        reject(new Error('aborted'));
      });
    }));
    await client.connect(new StreamableHTTPClientTransport(new URL(shortProxy.url)));
    clients.push(client);
    await eventually(async () => (await client.listTools()).tools.some((t) => t.name === 'evh/trigger-sampling-request'), 'the sampling tool to be listed', 30_000);
    const e = await client.callTool({ name: 'evh/trigger-sampling-request', arguments: { prompt: 'think', maxTokens: 5 } }).then(
      () => undefined,
      (err: { code: number }) => err,
    );
    expect(e?.code).toBe(-32011); // BACKEND_TIMEOUT
    await eventually(() => aborted, 'the client handler to be aborted');
  });
});

describe('elicitation relayed to the calling client', () => {
  it('the client declines; the tool reports the decline', async () => {
    const { client } = await assistant('elicit');
    const r = await client.callTool({ name: 'evh/trigger-elicitation-request', arguments: {} });
    expect(text(r)).toContain('declined');
    expect(text(r)).toContain('"action": "decline"');
  });
});

describe('through the stdio front end (mcp-relay --stdio)', () => {
  it('relays sampling to the desktop client on stdout and its answer from stdin', async () => {
    const file = tempFile('stdio-sampling.toml', `[[backends]]\nname = "ev"\ntransport = "stdio"\n${everythingStdio()}\n`);
    const client = new Client({ name: 'desktop', version: '1.0.0' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'from-the-desktop' } }));
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--stdio', '--config', file, '--log-level', 'warn'], stderr: 'ignore' }));
    clients.push(client);
    await eventually(async () => (await client.listTools()).tools.some((t) => t.name === 'ev/trigger-sampling-request'), 'ev/trigger-sampling-request to be listed', 30_000);
    const r = await client.callTool({ name: 'ev/trigger-sampling-request', arguments: { prompt: 'desk', maxTokens: 5 } });
    expect(text(r)).toContain('from-the-desktop');
  });
});

describe('on the wire', () => {
  it.each([
    ['2025-11-25', 'a POST'],
    ['2025-03-26', 'a batch'],
  ])('%s: the relayed request comes on the call\'s SSE stream under a proxy id; the answer is %s (202); a stray answer is ignored', async (version, how) => {
    const { headers: h } = await rawSession(proxy.url, { version, capabilities: { sampling: {} } });
    const stray = await fetch(proxy.url, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id: 'nobody-asked', result: {} }) });
    expect(stray.status).toBe(202);

    const res = await fetch(proxy.url, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'evh/trigger-sampling-request', arguments: { prompt: 'wire', maxTokens: 5 } } }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events: any[] = [];
    for await (const { data } of sseEvents(res)) {
      const msg = JSON.parse(data);
      events.push(msg);
      if (msg.method === 'sampling/createMessage') {
        expect(String(msg.id)).toMatch(/^~s/);
        const reply = { jsonrpc: '2.0', id: msg.id, result: { model: 'm', role: 'assistant', content: { type: 'text', text: 'wired' } } };
        const answer = await fetch(proxy.url, { method: 'POST', headers: h, body: JSON.stringify(how === 'a batch' ? [reply] : reply) });
        expect(answer.status).toBe(202);
      }
    }
    expect(events.map((e) => e.method ?? `result:${e.id}`)).toEqual(['sampling/createMessage', 'result:7']);
    expect(JSON.stringify(events[1].result)).toContain('wired');
  });
});

describe('a malformed answer', () => {
  it('an error that is not a JSON-RPC error object reaches the backend as a valid error', async () => {
    const { headers: h } = await rawSession(proxy.url, { capabilities: { sampling: {} } });
    const res = await fetch(proxy.url, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'evh/trigger-sampling-request', arguments: { prompt: 'bad', maxTokens: 5 } } }) });
    let asked = 0;
    let result: any;
    for await (const { data } of sseEvents(res)) {
      const msg = JSON.parse(data);
      if (msg.method === 'sampling/createMessage') {
        asked++;
        await fetch(proxy.url, { method: 'POST', headers: h, body: `{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"error":null}` });
      } else result = msg.result;
    }
    expect(asked).toBe(1);
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result)).toContain('malformed JSON-RPC error');
  });
});
