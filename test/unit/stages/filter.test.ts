import { describe, expect, it } from 'vitest';
import { filterStage } from '../../../src/pipeline/stages/filter.js';
import { Denied, type Item, type Stage } from '../../../src/pipeline/types.js';
import type { ListKind } from '../../../src/catalog/catalog.js';
import { backendToml, envFrom, FakeBackend, invokeStage, relayError, route, tool } from './fixtures.js';

function stageFor(extra: string, more = ''): Stage {
  const s = filterStage(envFrom(backendToml('b', extra) + more));
  expect(s).not.toBeNull();
  return s!;
}

/** Names `stage.list` keeps among `names` for one kind. */
function visible(stage: Stage, kind: ListKind, items: Item[], backend = 'b'): string[] {
  const key = (i: Item): string => String(kind === 'resources' ? i.uri : kind === 'resourceTemplates' ? i.uriTemplate : i.name);
  return items.filter((i) => !(stage.list!(i, { backend, kind, local: key(i) }) instanceof Denied)).map(key);
}

const TOOLS = ['read_file', 'write_file', 'list_dir', 'delete_file', 'admin_reset'].map((n) => tool(n));

describe('filter: nothing configured', () => {
  it('returns null for a backend without filter keys', () => {
    expect(filterStage(envFrom(backendToml('b')))).toBeNull();
  });

  it('returns null when false annotation rules are written out', () => {
    expect(filterStage(envFrom(backendToml('b', 'hide_destructive = false\nread_only_only = false')))).toBeNull();
  });

  it('a mirror backend alone does not switch the stage on', () => {
    const toml = backendToml('b') + backendToml('b2', 'mirror_of = "b"');
    expect(filterStage(envFrom(toml))).toBeNull();
  });
});

describe('filter: list() by name', () => {
  it('expose_tools keeps only matching tools', () => {
    const s = stageFor('expose_tools = ["read_*", "list_dir"]');
    expect(visible(s, 'tools', TOOLS)).toEqual(['read_file', 'list_dir']);
  });

  it('hide_tools hides matching tools', () => {
    const s = stageFor('hide_tools = ["delete_*", "re:^admin_"]');
    expect(visible(s, 'tools', TOOLS)).toEqual(['read_file', 'write_file', 'list_dir']);
  });

  it('expose_tools = [] hides every tool', () => {
    const s = stageFor('expose_tools = []');
    expect(visible(s, 'tools', TOOLS)).toEqual([]);
  });

  it('rules apply only to their own backend', () => {
    const s = filterStage(envFrom(backendToml('b', 'expose_tools = []') + backendToml('other')))!;
    expect(visible(s, 'tools', TOOLS, 'other')).toHaveLength(TOOLS.length);
  });

  it('rules apply only to their own kind', () => {
    const s = stageFor('hide_tools = ["*"]');
    expect(visible(s, 'prompts', [{ name: 'summary' }])).toEqual(['summary']);
    expect(visible(s, 'resources', [{ uri: 'file:///a', name: 'a' }])).toEqual(['file:///a']);
  });

  it('expose_prompts / hide_prompts filter prompts', () => {
    const prompts = [{ name: 'summary' }, { name: 'review' }, { name: 'debug_dump' }];
    expect(visible(stageFor('expose_prompts = ["summary"]'), 'prompts', prompts)).toEqual(['summary']);
    expect(visible(stageFor('hide_prompts = ["debug_*"]'), 'prompts', prompts)).toEqual(['summary', 'review']);
    expect(visible(stageFor('expose_prompts = []'), 'prompts', prompts)).toEqual([]);
  });

  it('resources are matched on their URI', () => {
    const resources = [
      { uri: 'demo://readme', name: 'readme' },
      { uri: 'demo://item/1', name: 'one' },
      { uri: 'demo://item/1/sub', name: 'sub' },
      { uri: 'other://x', name: 'x' },
    ];
    expect(visible(stageFor('hide_resources = ["demo://item/*"]'), 'resources', resources)).toEqual(['demo://readme', 'demo://item/1/sub', 'other://x']);
    expect(visible(stageFor('expose_resources = ["demo://**"]'), 'resources', resources)).toEqual(['demo://readme', 'demo://item/1', 'demo://item/1/sub']);
    // The display name is not what is matched.
    expect(visible(stageFor('hide_resources = ["readme"]'), 'resources', resources)).toHaveLength(4);
  });

  it('resource templates are matched on their uriTemplate with the resource rules', () => {
    const templates = [
      { uriTemplate: 'demo://item/{id}', name: 'item' },
      { uriTemplate: 'demo://user/{id}', name: 'user' },
    ];
    expect(visible(stageFor('hide_resources = ["demo://item/*"]'), 'resourceTemplates', templates)).toEqual(['demo://user/{id}']);
    expect(visible(stageFor('expose_resources = ["demo://user/*"]'), 'resourceTemplates', templates)).toEqual(['demo://user/{id}']);
    expect(visible(stageFor('hide_resources = ["item"]'), 'resourceTemplates', templates)).toHaveLength(2);
  });

  it('a visible item is returned unchanged', () => {
    const s = stageFor('hide_tools = ["delete_*"]');
    const item = tool('read_file', { type: 'object', properties: { path: { type: 'string' } } }, { readOnlyHint: true });
    expect(s.list!(item, { backend: 'b', kind: 'tools', local: 'read_file' })).toBe(item);
  });
});

describe('filter: annotation rules', () => {
  const annotated = [
    tool('rm', undefined, { destructiveHint: true }),
    tool('write', undefined, { destructiveHint: false }),
    tool('plain'),
    tool('read', undefined, { readOnlyHint: true }),
    tool('not_read', undefined, { readOnlyHint: false }),
  ];

  it('hide_destructive hides destructiveHint: true only (false or missing kept)', () => {
    expect(visible(stageFor('hide_destructive = true'), 'tools', annotated)).toEqual(['write', 'plain', 'read', 'not_read']);
  });

  it('read_only_only keeps only readOnlyHint: true (a tool without annotations is hidden)', () => {
    expect(visible(stageFor('read_only_only = true'), 'tools', annotated)).toEqual(['read']);
  });

  it('annotation rules do not touch prompts or resources', () => {
    const s = stageFor('read_only_only = true\nhide_destructive = true');
    expect(visible(s, 'prompts', [{ name: 'p' }])).toEqual(['p']);
    expect(visible(s, 'resources', [{ uri: 'x://1', name: '1' }])).toEqual(['x://1']);
  });

  it('name rules and annotation rules combine', () => {
    const s = stageFor('hide_tools = ["read"]\nhide_destructive = true');
    expect(visible(s, 'tools', annotated)).toEqual(['write', 'plain', 'not_read']);
  });
});

describe('filter: the Denied reason names the rule', () => {
  const reason = (s: Stage, item: Item, kind: ListKind = 'tools', local = String(item.name)): string => {
    const out = s.list!(item, { backend: 'b', kind, local });
    expect(out).toBeInstanceOf(Denied);
    return (out as Denied).reason;
  };

  it('expose_* and hide_*', () => {
    expect(reason(stageFor('expose_tools = ["read_*"]'), tool('write_file'))).toContain('expose_tools');
    expect(reason(stageFor('expose_tools = []'), tool('write_file'))).toContain('expose_tools');
    expect(reason(stageFor('hide_tools = ["write_*"]'), tool('write_file'))).toContain('hide_tools');
    expect(reason(stageFor('hide_prompts = ["p"]'), { name: 'p' }, 'prompts')).toContain('hide_prompts');
    expect(reason(stageFor('expose_resources = ["a://*"]'), { uri: 'b://1' }, 'resources', 'b://1')).toContain('expose_resources');
  });

  it('annotation rules', () => {
    expect(reason(stageFor('hide_destructive = true'), tool('rm', undefined, { destructiveHint: true }))).toContain('hide_destructive');
    expect(reason(stageFor('read_only_only = true'), tool('plain'))).toContain('read_only_only');
  });
});

describe('filter: route() blocks calls', () => {
  it('a resource route whose URI is hidden is rejected with POLICY_DENIED without reaching the backend', async () => {
    const s = stageFor('hide_resources = ["demo://secret/*"]');
    const backend = new FakeBackend('b');
    const r = route(backend, 'resource', 'demo://secret/key', undefined, 'b/demo://secret/key');
    const wrap = s.route!(r);
    expect(wrap).not.toBeNull();
    const err = await relayError(invokeStage(wrap!, r));
    expect(err.code).toBe('POLICY_DENIED');
    expect(err.message).toContain('b/demo://secret/key');
    expect(err.message).toContain('hide_resources');
    expect(err.data).toMatchObject({ name: 'b/demo://secret/key' });
    expect(String(err.data?.reason)).toContain('hide_resources');
    expect(backend.calls).toHaveLength(0);
  });

  it('allowed routes get no wrapper at all', () => {
    const s = stageFor('hide_resources = ["demo://secret/*"]\nhide_tools = ["delete_*"]\nhide_prompts = ["x"]');
    const backend = new FakeBackend('b');
    expect(s.route!(route(backend, 'resource', 'demo://public/a'))).toBeNull();
    expect(s.route!(route(backend, 'tool', 'read_file', tool('read_file')))).toBeNull();
    expect(s.route!(route(backend, 'prompt', 'summary', { name: 'summary' }))).toBeNull();
  });

  it('routes of a backend without rules get no wrapper', () => {
    const s = filterStage(envFrom(backendToml('b', 'expose_tools = []') + backendToml('other')))!;
    const other = new FakeBackend('other');
    expect(s.route!(route(other, 'tool', 'anything', tool('anything')))).toBeNull();
  });

  it('defense in depth: a route for a tool hidden by name is denied', async () => {
    const s = stageFor('hide_tools = ["delete_*"]');
    const backend = new FakeBackend('b');
    const r = route(backend, 'tool', 'delete_file', tool('delete_file'), 'b/rm');
    const wrap = s.route!(r);
    expect(wrap).not.toBeNull();
    const err = await relayError(invokeStage(wrap!, r, { path: '/' }));
    expect(err.code).toBe('POLICY_DENIED');
    expect(err.message).toContain('b/rm');
    expect(err.message).toContain('hide_tools');
    expect(backend.calls).toHaveLength(0);
  });

  it('defense in depth: annotation rules block calls too', async () => {
    const backend = new FakeBackend('b');
    const destructive = route(backend, 'tool', 'rm', tool('rm', undefined, { destructiveHint: true }));
    const s1 = stageFor('hide_destructive = true');
    expect((await relayError(invokeStage(s1.route!(destructive)!, destructive, {}))).code).toBe('POLICY_DENIED');

    const plain = route(backend, 'tool', 'plain', tool('plain'));
    const s2 = stageFor('read_only_only = true');
    const err = await relayError(invokeStage(s2.route!(plain)!, plain, {}));
    expect(err.code).toBe('POLICY_DENIED');
    expect(err.message).toContain('read_only_only');
    expect(s2.route!(route(backend, 'tool', 'read', tool('read', undefined, { readOnlyHint: true })))).toBeNull();
    expect(backend.calls).toHaveLength(0);
  });

  it('a hidden prompt route is denied', async () => {
    const s = stageFor('expose_prompts = []');
    const backend = new FakeBackend('b');
    const r = route(backend, 'prompt', 'summary', { name: 'summary' });
    const err = await relayError(invokeStage(s.route!(r)!, r));
    expect(err.code).toBe('POLICY_DENIED');
    expect(err.message).toMatch(/^Prompt not available/);
    expect(backend.calls).toHaveLength(0);
  });
});
