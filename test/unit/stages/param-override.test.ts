import { describe, expect, it } from 'vitest';
import { paramOverrideStage } from '../../../src/pipeline/stages/param-override.js';
import { buildPipeline } from '../../../src/pipeline/order.js';
import type { Item, Stage } from '../../../src/pipeline/types.js';
import { backendToml, catalogRoute, envFrom, FakeBackend, invoke, invokeStage, relayError, route, tool } from './fixtures.js';

const OVERRIDE = `
[[backends.param_overrides]]
tool = "create_issue"
rename = { repo = "repository" }
hide = ["assignees"]
defaults = { labels = ["triage"], assignees = ["bot"] }
`;

const SCHEMA = {
  type: 'object',
  properties: {
    repo: { type: 'string', description: 'owner/name' },
    title: { type: 'string' },
    labels: { type: 'array', items: { type: 'string' } },
    assignees: { type: 'array', items: { type: 'string' } },
  },
  required: ['repo', 'title', 'assignees'],
  additionalProperties: false,
};

function stage(toml = backendToml('github', OVERRIDE)): Stage {
  const s = paramOverrideStage(envFrom(toml));
  expect(s).not.toBeNull();
  return s!;
}

function listed(s: Stage, item: Item, backend = 'github'): Item {
  const out = s.list!(item, { backend, kind: 'tools', local: String(item.name) });
  expect(out).not.toHaveProperty('reason');
  return out as Item;
}

function callable(s: Stage = stage()): { backend: FakeBackend; call: (args?: unknown) => Promise<unknown> } {
  const backend = new FakeBackend('github');
  const r = route(backend, 'tool', 'create_issue', listed(s, tool('create_issue', SCHEMA)));
  const wrap = s.route!(r);
  expect(wrap).not.toBeNull();
  return { backend, call: (args) => invokeStage(wrap!, r, args) };
}

describe('param-override: configuration', () => {
  it('is off without param_overrides', () => {
    expect(paramOverrideStage(envFrom(backendToml('github')))).toBeNull();
  });

  it('tools without an override get no wrapper and an unchanged item', () => {
    const s = stage();
    const other = tool('list_issues', SCHEMA);
    expect(s.list!(other, { backend: 'github', kind: 'tools', local: 'list_issues' })).toBe(other);
    expect(s.route!(route(new FakeBackend('github'), 'tool', 'list_issues', other))).toBeNull();
  });

  it('the same tool name on another backend is not affected', () => {
    const s = paramOverrideStage(envFrom(backendToml('github', OVERRIDE) + backendToml('gitlab')))!;
    const item = tool('create_issue', SCHEMA);
    expect(s.list!(item, { backend: 'gitlab', kind: 'tools', local: 'create_issue' })).toBe(item);
    expect(s.route!(route(new FakeBackend('gitlab'), 'tool', 'create_issue', item))).toBeNull();
  });

  it('prompts and resources are never rewritten or wrapped', () => {
    const s = stage();
    const prompt = { name: 'create_issue', arguments: [{ name: 'repo' }] };
    expect(s.list!(prompt, { backend: 'github', kind: 'prompts', local: 'create_issue' })).toBe(prompt);
    expect(s.route!(route(new FakeBackend('github'), 'prompt', 'create_issue', prompt))).toBeNull();
  });
});

describe('param-override: list() rewrites the advertised inputSchema', () => {
  it('hidden parameters leave properties and required; renamed ones move to their new key', () => {
    const out = listed(stage(), tool('create_issue', SCHEMA));
    const schema = out.inputSchema as typeof SCHEMA & { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual(['labels', 'repository', 'title']);
    expect(schema.properties.repository).toEqual({ type: 'string', description: 'owner/name' });
    expect(schema.required).toEqual(['repository', 'title']);
    // Everything else survives.
    expect(schema.type).toBe('object');
    expect(schema.additionalProperties).toBe(false);
    expect(out.description).toBe('The create_issue tool');
  });

  it('does not mutate the backend item', () => {
    const item = tool('create_issue', structuredClone(SCHEMA));
    listed(stage(), item);
    expect(item.inputSchema).toEqual(SCHEMA);
  });

  it('a schema without required keeps having none', () => {
    const { required: _required, ...noRequired } = SCHEMA;
    const out = listed(stage(), tool('create_issue', noRequired));
    expect(out.inputSchema).not.toHaveProperty('required');
  });
});

describe('param-override: calls', () => {
  it('maps new names back, and fills defaults only for keys the client did not send', async () => {
    const { backend, call } = callable();
    await call({ repository: 'o/r', title: 'Bug', labels: ['p1'] });
    expect(backend.lastArgs).toEqual({ repo: 'o/r', title: 'Bug', labels: ['p1'], assignees: ['bot'] });
    await call({ repository: 'o/r', title: 'Bug' });
    expect(backend.lastArgs).toEqual({ repo: 'o/r', title: 'Bug', labels: ['triage'], assignees: ['bot'] });
  });

  it('a hidden parameter is refused with INVALID_ARGUMENTS', async () => {
    const { backend, call } = callable();
    const err = await relayError(call({ repository: 'o/r', title: 'x', assignees: ['me'] }));
    expect(err.code).toBe('INVALID_ARGUMENTS');
    expect(err.message).toContain('`assignees`');
    expect(err.data).toMatchObject({ name: 'github/create_issue', parameter: 'assignees' });
    expect(backend.calls).toHaveLength(0);
  });

  it('the original name of a renamed parameter is refused, pointing at the new name', async () => {
    const { backend, call } = callable();
    const err = await relayError(call({ repo: 'o/r', title: 'x' }));
    expect(err.code).toBe('INVALID_ARGUMENTS');
    expect(err.message).toContain('`repo`');
    expect(err.message).toContain('`repository`');
    expect(err.data).toMatchObject({ parameter: 'repo' });
    expect(backend.calls).toHaveLength(0);
  });

  it('omitted or null arguments work: defaults only', async () => {
    const { backend, call } = callable();
    await call(undefined);
    expect(backend.lastArgs).toEqual({ labels: ['triage'], assignees: ['bot'] });
    await call(null);
    expect(backend.lastArgs).toEqual({ labels: ['triage'], assignees: ['bot'] });
  });

  it('a falsy value sent by the client is kept over the default', async () => {
    const s = stage(backendToml('github', '[[backends.param_overrides]]\ntool = "create_issue"\ndefaults = { draft = true, count = 5 }'));
    const { backend, call } = callable(s);
    await call({ draft: false, count: 0 });
    expect(backend.lastArgs).toEqual({ draft: false, count: 0 });
  });

  it('other params (name, _meta) are kept', async () => {
    const s = stage();
    const backend = new FakeBackend('github');
    const r = route(backend, 'tool', 'create_issue', tool('create_issue', SCHEMA));
    const wrap = s.route!(r)!;
    await wrap(
      { method: 'tools/call', route: r, params: { name: 'create_issue', arguments: { repository: 'o/r' }, _meta: { k: 1 } }, opts: { timeoutMs: 1000 } },
      (ctx) => r.backend.request(ctx.method, ctx.params, ctx.opts),
    );
    expect(backend.calls[0]!.params).toEqual({ name: 'create_issue', arguments: { repo: 'o/r', labels: ['triage'], assignees: ['bot'] }, _meta: { k: 1 } });
  });

  it('with validate_arguments, a required parameter that has a default may be omitted', async () => {
    // `defaults` fill parameters the client did not send, so a defaulted
    // parameter must not stay advertised (and validated) as required.
    const toml = backendToml('github', `validate_arguments = true\n[[backends.param_overrides]]\ntool = "create_issue"\ndefaults = { title = "untitled" }`);
    const p = buildPipeline(envFrom(toml));
    const backend = new FakeBackend('github');
    const { route: r } = catalogRoute(p, backend, tool('create_issue', { type: 'object', properties: { repo: { type: 'string' }, title: { type: 'string' } }, required: ['repo', 'title'] }));
    await invoke(r.handler, r, { repo: 'o/r' });
    expect(backend.lastArgs).toEqual({ repo: 'o/r', title: 'untitled' });
  });
});
