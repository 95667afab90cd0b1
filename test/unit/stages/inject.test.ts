import { describe, expect, it } from 'vitest';
import { injectStage } from '../../../src/pipeline/stages/inject.js';
import { buildPipeline } from '../../../src/pipeline/order.js';
import type { Item, Stage } from '../../../src/pipeline/types.js';
import { backendToml, catalogRoute, envFrom, FakeBackend, invoke, invokeStage, route, tool } from './fixtures.js';

const GITHUB = backendToml(
  'github',
  `default_args = { owner = "my-org", per_page = 100 }

[[backends.inject_args]]
tool = "search_issues"
args = { per_page = 20, state = "open" }

[[backends.inject_args]]
tool = "delete_repo"
args = { dry_run = true }
overwrite = true
`,
);

function stage(toml = GITHUB): Stage {
  const s = injectStage(envFrom(toml));
  expect(s).not.toBeNull();
  return s!;
}

async function sent(toolName: string, args: unknown, s = stage(), backendName = 'github'): Promise<unknown> {
  const backend = new FakeBackend(backendName);
  const r = route(backend, 'tool', toolName, tool(toolName));
  const wrap = s.route!(r);
  expect(wrap).not.toBeNull();
  await invokeStage(wrap!, r, args);
  return backend.lastArgs;
}

function listed(s: Stage, item: Item): Record<string, unknown> {
  const out = s.list!(item, { backend: 'github', kind: 'tools', local: String(item.name) }) as Item;
  return out.inputSchema as Record<string, unknown>;
}

describe('inject: configuration', () => {
  it('is off for backends without default_args or inject_args', () => {
    expect(injectStage(envFrom(backendToml('github')))).toBeNull();
    expect(injectStage(envFrom(backendToml('github', 'default_args = {}')))).toBeNull();
  });

  it('backends without injection get no wrapper', () => {
    const s = injectStage(envFrom(GITHUB + backendToml('plain')))!;
    expect(s.route!(route(new FakeBackend('plain'), 'tool', 'search_issues', tool('search_issues')))).toBeNull();
  });

  it('with only inject_args, other tools of the backend get no wrapper', () => {
    const s = stage(backendToml('github', '[[backends.inject_args]]\ntool = "a"\nargs = { x = 1 }'));
    expect(s.route!(route(new FakeBackend('github'), 'tool', 'b', tool('b')))).toBeNull();
    expect(s.route!(route(new FakeBackend('github'), 'tool', 'a', tool('a')))).not.toBeNull();
  });

  it('prompts and resources are not wrapped', () => {
    const s = stage();
    expect(s.route!(route(new FakeBackend('github'), 'prompt', 'search_issues', { name: 'search_issues' }))).toBeNull();
    expect(s.route!(route(new FakeBackend('github'), 'resource', 'gh://x'))).toBeNull();
  });
});

describe('inject: precedence client > per-tool > default', () => {
  it('default_args fill every tool of the backend', async () => {
    expect(await sent('list_repos', { q: 'x' })).toEqual({ q: 'x', owner: 'my-org', per_page: 100 });
  });

  it('per-tool args beat default_args', async () => {
    expect(await sent('search_issues', { q: 'bug' })).toEqual({ q: 'bug', per_page: 20, state: 'open', owner: 'my-org' });
  });

  it('the client beats per-tool and default args', async () => {
    expect(await sent('search_issues', { per_page: 5, state: 'closed', owner: 'me' })).toEqual({ per_page: 5, state: 'closed', owner: 'me' });
  });

  it('a client value of null or false still counts as sent', async () => {
    expect(await sent('search_issues', { state: null, per_page: 0 })).toEqual({ state: null, per_page: 0, owner: 'my-org' });
  });

  it('overwrite = true makes the per-tool value beat the client', async () => {
    expect(await sent('delete_repo', { repo: 'x', dry_run: false })).toEqual({ repo: 'x', dry_run: true, owner: 'my-org', per_page: 100 });
  });

  it('null or omitted arguments become {} plus the injected ones', async () => {
    const expected = { per_page: 20, state: 'open', owner: 'my-org' };
    expect(await sent('search_issues', undefined)).toEqual(expected);
    expect(await sent('search_issues', null)).toEqual(expected);
  });

  it('does not mutate the client arguments object', async () => {
    const args = { q: 'x' };
    await sent('search_issues', args);
    expect(args).toEqual({ q: 'x' });
  });
});

describe('inject: list() rewrites the advertised inputSchema', () => {
  const schema = {
    type: 'object',
    properties: { q: { type: 'string' }, owner: { type: 'string' }, per_page: { type: 'integer' }, state: { type: 'string' }, dry_run: { type: 'boolean' }, repo: { type: 'string' } },
    required: ['q', 'owner', 'per_page', 'repo', 'dry_run'],
  };

  it('supplied keys (default and per-tool) leave required but stay in properties', () => {
    const out = listed(stage(), tool('search_issues', schema));
    expect(out.required).toEqual(['q', 'repo', 'dry_run']);
    expect(Object.keys(out.properties as object)).toEqual(Object.keys(schema.properties));
  });

  it('forced keys (overwrite = true) leave properties as well', () => {
    const out = listed(stage(), tool('delete_repo', schema));
    expect(out.required).toEqual(['q', 'repo']);
    expect(Object.keys(out.properties as object)).toEqual(['q', 'owner', 'per_page', 'state', 'repo']);
  });

  it('does not mutate the backend item, and leaves prompts alone', () => {
    const s = stage();
    const item = tool('delete_repo', structuredClone(schema));
    listed(s, item);
    expect(item.inputSchema).toEqual(schema);
    const prompt = { name: 'p', arguments: [] };
    expect(s.list!(prompt, { backend: 'github', kind: 'prompts', local: 'p' })).toBe(prompt);
  });

  it('tools of a backend without injection are returned unchanged', () => {
    const s = injectStage(envFrom(GITHUB + backendToml('plain')))!;
    const item = tool('search_issues', schema);
    expect(s.list!(item, { backend: 'plain', kind: 'tools', local: 'search_issues' })).toBe(item);
  });
});

describe('inject: together with a param override rename', () => {
  it('a parameter the proxy supplies is not advertised (or validated) as required under its new name', async () => {
    // default_args are written in backend names (`repo`); param_overrides shows `repo` as `repository`.
    const toml = backendToml('github', 'validate_arguments = true\ndefault_args = { repo = "o/r" }\n\n[[backends.param_overrides]]\ntool = "create_issue"\nrename = { repo = "repository" }');
    const p = buildPipeline(envFrom(toml));
    const backend = new FakeBackend('github');
    const { route: r, listed } = catalogRoute(p, backend, tool('create_issue', { type: 'object', properties: { repo: { type: 'string' }, title: { type: 'string' } }, required: ['repo', 'title'] }));
    expect((listed.inputSchema as { required: string[] }).required).toEqual(['title']);
    await invoke(r.handler, r, { title: 'Bug' });
    expect(backend.lastArgs).toEqual({ title: 'Bug', repo: 'o/r' });
  });
});
