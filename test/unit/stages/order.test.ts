import { describe, expect, it } from 'vitest';
import { buildPipeline, STAGES } from '../../../src/pipeline/order.js';
import { Denied, dispatchToBackend } from '../../../src/pipeline/types.js';
import { backendToml, catalogRoute, envFrom, FakeBackend, invoke, relayError, route, tool } from './fixtures.js';

const DOCUMENTED = ['argument-size', 'filter', 'schema-validation', 'param-override', 'inject', 'mirror'];

/** Every stage but mirror switched on for backend "w", tool "add". */
const ALL = `
[security]
max_argument_size = 20

${backendToml(
  'w',
  `hide_tools = ["secret_*"]
validate_arguments = true
default_args = { trace = "t1" }

[[backends.param_overrides]]
tool = "add"
rename = { a = "x" }
hide = ["b"]
defaults = { b = 3 }

[[backends.inject_args]]
tool = "add"
args = { c = 7 }`,
)}
${backendToml('plain')}
`;

const ADD = tool('add', {
  type: 'object',
  properties: { a: { type: 'number' }, b: { type: 'number' }, c: { type: 'number' }, trace: { type: 'string' } },
  required: ['a', 'b', 'c'],
  additionalProperties: false,
});

function setup(): { p: ReturnType<typeof buildPipeline>; backend: FakeBackend; r: ReturnType<typeof catalogRoute>['route']; listed: Record<string, unknown> } {
  const p = buildPipeline(envFrom(ALL));
  const backend = new FakeBackend('w');
  const { route: r, listed } = catalogRoute(p, backend, ADD);
  return { p, backend, r, listed };
}

describe('pipeline order', () => {
  it('STAGES is the documented order', () => {
    expect(STAGES.map((s) => s.name)).toEqual(DOCUMENTED);
  });

  it('active lists the switched-on stages in the documented order', () => {
    expect(setup().p.active).toEqual(['argument-size', 'filter', 'schema-validation', 'param-override', 'inject']);
    expect(buildPipeline(envFrom(backendToml('b'))).active).toEqual([]);
    expect(buildPipeline(envFrom(backendToml('b', 'validate_arguments = true\nread_only_only = true'))).active).toEqual(['filter', 'schema-validation']);
  });

  it('list stages: param-override then inject rewrite the schema the client is shown', () => {
    const { listed } = setup();
    expect(listed.name).toBe('add');
    expect(listed.inputSchema).toEqual({
      type: 'object',
      properties: { x: { type: 'number' }, c: { type: 'number' }, trace: { type: 'string' } },
      required: ['x'],
      additionalProperties: false,
    });
  });

  it('list stages: filter runs first, on the backend-local name, and stops the chain', () => {
    const { p } = setup();
    const out = p.transform(tool('secret_add', ADD.inputSchema as Record<string, unknown>), { backend: 'w', kind: 'tools', local: 'secret_add' });
    expect(out).toBeInstanceOf(Denied);
    expect((out as Denied).reason).toContain('hide_tools');
  });

  it('the backend receives the client arguments transformed in the documented order', async () => {
    const { backend, r } = setup();
    // {"x":1} is 7 bytes, under the 20-byte limit; what reaches the backend is 31 bytes.
    await invoke(r.handler, r, { x: 1 });
    expect(backend.calls).toHaveLength(1);
    expect(JSON.stringify(backend.lastArgs).length).toBeGreaterThan(20);
    expect(backend.calls[0]!.method).toBe('tools/call');
    expect(backend.calls[0]!.params).toEqual({ name: 'add', arguments: { a: 1, b: 3, c: 7, trace: 't1' } });
  });

  it('validation sees the client names (before param-override maps them back)', async () => {
    const { backend, r } = setup();
    // With additionalProperties: false, the backend names a/b would fail validation if it ran later.
    await invoke(r.handler, r, { x: 2, c: 1 });
    expect(backend.lastArgs).toEqual({ a: 2, b: 3, c: 1, trace: 't1' });
    const err = await relayError(invoke(r.handler, r, { x: 'two' }));
    expect(err.code).toBe('INVALID_ARGUMENTS');
    expect(err.message).toContain('`x`');
  });

  it('validation runs before injection: an argument the client omits and the proxy injects is not required', async () => {
    const { backend, r } = setup();
    await invoke(r.handler, r, { x: 1 });
    expect(backend.lastArgs).toMatchObject({ c: 7 });
  });

  it('size is measured on the client arguments, before any stage adds to them', async () => {
    const { backend, r } = setup();
    const args = { x: 'y'.repeat(20) };
    const err = await relayError(invoke(r.handler, r, args));
    expect(err.code).toBe('ARGUMENTS_TOO_LARGE');
    expect(err.data).toMatchObject({ size: JSON.stringify(args).length, limit: 20 });
    expect(backend.calls).toHaveLength(0);
  });

  it('argument-size rejects before the filter, the filter before validation', async () => {
    const { p } = setup();
    const backend = new FakeBackend('w');
    const hidden = route(backend, 'tool', 'secret_add', ADD);
    hidden.handler = p.handlerFor(hidden);
    expect((await relayError(invoke(hidden.handler, hidden, { a: 'x'.repeat(20) }))).code).toBe('ARGUMENTS_TOO_LARGE');
    expect((await relayError(invoke(hidden.handler, hidden, { a: 'x' }))).code).toBe('POLICY_DENIED');
    expect(backend.calls).toHaveLength(0);
  });

  it('param-override refusals happen before injection reaches the backend', async () => {
    const { backend, r } = setup();
    const err = await relayError(invoke(r.handler, r, { x: 1, b: 1 }));
    // Validation (additionalProperties: false on the advertised schema) or param-override refuses `b`.
    expect(err.code).toBe('INVALID_ARGUMENTS');
    expect(err.message).toContain('`b`');
    expect(backend.calls).toHaveLength(0);
  });

  it('a route with nothing configured calls the backend directly, params unchanged', async () => {
    const p = buildPipeline(envFrom(backendToml('b')));
    const backend = new FakeBackend('b');
    const r = route(backend, 'tool', 'echo', tool('echo'));
    const handler = p.handlerFor(r);
    expect(handler).toBe(dispatchToBackend);
    const params = { name: 'echo', arguments: { text: 'hi', n: null }, _meta: { progressToken: 't' } };
    await handler({ method: 'tools/call', route: r, params, opts: { timeoutMs: 5 } });
    expect(backend.calls).toEqual([{ method: 'tools/call', params, opts: { timeoutMs: 5 } }]);
  });

  it('routes of an unconfigured backend are not wrapped by another backend’s stages', async () => {
    const { p } = setup();
    const plain = new FakeBackend('plain');
    // Prompts: argument-size applies to tools only, so nothing applies at all.
    expect(p.handlerFor(route(plain, 'prompt', 'summary', { name: 'summary' }))).toBe(dispatchToBackend);
    const r = route(plain, 'tool', 'add', ADD);
    r.handler = p.handlerFor(r);
    await invoke(r.handler, r, { a: 1 });
    expect(plain.lastArgs).toEqual({ a: 1 });
  });

  it('stages with nothing to do for a route add no wrapper (prompt of a filtered backend)', () => {
    const { p } = setup();
    expect(p.handlerFor(route(new FakeBackend('w'), 'prompt', 'summary', { name: 'summary' }))).toBe(dispatchToBackend);
  });
});
