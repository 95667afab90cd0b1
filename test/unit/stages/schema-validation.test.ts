import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { schemaValidationStage } from '../../../src/pipeline/stages/schema-validation.js';
import type { CallStage, Stage } from '../../../src/pipeline/types.js';
import { silentLogger, type Logger } from '../../../src/util/log.js';
import { backendToml, envFrom, FakeBackend, invokeStage, relayError, route, tool } from './fixtures.js';

const VALIDATED = backendToml('b', 'validate_arguments = true') + backendToml('loose');

function stage(log?: Logger): Stage {
  const s = schemaValidationStage(envFrom(VALIDATED, log));
  expect(s).not.toBeNull();
  return s!;
}

function wrapped(schema: Record<string, unknown>, s = stage()): { call: (args: unknown) => Promise<unknown>; backend: FakeBackend } {
  const backend = new FakeBackend('b');
  const r = route(backend, 'tool', 't', tool('t', schema));
  const wrap: CallStage | null = s.route!(r);
  expect(wrap).not.toBeNull();
  return { call: (args) => invokeStage(wrap!, r, args), backend };
}

const FILE_SCHEMA = {
  type: 'object',
  properties: { path: { type: 'string' }, count: { type: 'integer' }, opts: { type: 'object', properties: { depth: { type: 'number' } } } },
  required: ['path'],
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('schema-validation: when it applies', () => {
  it('is off when no backend sets validate_arguments = true', () => {
    expect(schemaValidationStage(envFrom(backendToml('b') + backendToml('c', 'validate_arguments = false')))).toBeNull();
  });

  it('only wraps tool routes of backends with validate_arguments = true that have an inputSchema', () => {
    const s = stage();
    expect(s.route!(route(new FakeBackend('loose'), 'tool', 't', tool('t', FILE_SCHEMA)))).toBeNull();
    const b = new FakeBackend('b');
    expect(s.route!(route(b, 'prompt', 'p', { name: 'p' }))).toBeNull();
    expect(s.route!(route(b, 'resource', 'x://1'))).toBeNull();
    expect(s.route!(route(b, 'tool', 't', { name: 't' }))).toBeNull();
    expect(s.route!(route(b, 'tool', 't', tool('t', FILE_SCHEMA)))).not.toBeNull();
  });
});

describe('schema-validation: calls', () => {
  it('valid arguments reach the backend unchanged', async () => {
    const { call, backend } = wrapped(FILE_SCHEMA);
    await call({ path: '/a', count: 2, opts: { depth: 1.5 } });
    expect(backend.lastArgs).toEqual({ path: '/a', count: 2, opts: { depth: 1.5 } });
  });

  it('a missing required property is named in the message', async () => {
    const { call, backend } = wrapped(FILE_SCHEMA);
    const err = await relayError(call({ count: 1 }));
    expect(err.code).toBe('INVALID_ARGUMENTS');
    expect(err.message).toContain('Invalid arguments for tool b/t');
    expect(err.message).toContain('`path`');
    expect(backend.calls).toHaveLength(0);
  });

  it('omitted arguments are validated as {} (required still enforced)', async () => {
    const { call } = wrapped(FILE_SCHEMA);
    const err = await relayError(call(undefined));
    expect(err.message).toContain('`path`');
  });

  it('a wrong type names the failing field, nested fields with dots', async () => {
    const { call } = wrapped(FILE_SCHEMA);
    const e1 = await relayError(call({ path: '/a', count: 'three' }));
    expect(e1.message).toContain('`count`');
    expect(e1.message).toContain('integer');
    const e2 = await relayError(call({ path: '/a', opts: { depth: 'deep' } }));
    expect(e2.message).toContain('`opts.depth`');
  });

  it('additionalProperties: false names the unexpected property', async () => {
    const { call } = wrapped({ ...FILE_SCHEMA, additionalProperties: false });
    const err = await relayError(call({ path: '/a', recursive: true }));
    expect(err.message).toContain('`recursive`');
  });

  it('data carries an errors array with path, keyword and message', async () => {
    const { call } = wrapped(FILE_SCHEMA);
    const err = await relayError(call({ path: 1 }));
    expect(err.data?.name).toBe('b/t');
    const errors = err.data?.errors as { path: string; keyword: string; message: string }[];
    expect(Array.isArray(errors)).toBe(true);
    expect(errors[0]).toMatchObject({ path: '/path', keyword: 'type' });
    expect(errors[0]!.message).toContain('string');
  });

  it('format keywords are validated (format: "email")', async () => {
    const { call, backend } = wrapped({ type: 'object', properties: { to: { type: 'string', format: 'email' } } });
    const err = await relayError(call({ to: 'not-an-address' }));
    expect(err.message).toContain('`to`');
    expect(err.message).toContain('email');
    await call({ to: 'a@example.com' });
    expect(backend.calls).toHaveLength(1);
  });
});

describe('schema-validation: dialects', () => {
  it('draft 2020-12 (declared): prefixItems is enforced', async () => {
    const { call, backend } = wrapped({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] } },
    });
    const err = await relayError(call({ pair: ['a', 'b'] }));
    expect(err.message).toContain('`pair.1`');
    await call({ pair: ['a', 1] });
    expect(backend.calls).toHaveLength(1);
  });

  it('no $schema means 2020-12 (the MCP default)', async () => {
    const { call } = wrapped({ type: 'object', properties: { pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] } } });
    expect((await relayError(call({ pair: ['a', 'b'] }))).code).toBe('INVALID_ARGUMENTS');
  });

  it('draft-07 (declared): tuple-form items and dependencies are enforced', async () => {
    const { call, backend } = wrapped({
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { pair: { type: 'array', items: [{ type: 'string' }, { type: 'number' }] }, a: {}, b: {} },
      dependencies: { a: ['b'] },
      required: ['pair'],
    });
    expect((await relayError(call({ pair: ['a', 'b'] }))).message).toContain('`pair.1`');
    expect((await relayError(call({ pair: ['a', 1], a: 1 }))).code).toBe('INVALID_ARGUMENTS');
    await call({ pair: ['a', 1], a: 1, b: 2 });
    expect(backend.calls).toHaveLength(1);
  });
});

describe('schema-validation: schemas ajv cannot compile', () => {
  it('disable validation for that tool rather than rejecting its calls, logged once', async () => {
    const log = silentLogger();
    const warn = vi.spyOn(log, 'warn');
    const s = stage(log);
    const bad = { type: 'object', properties: { x: { type: 'nonsense' } } };
    const first = wrapped(bad, s);
    await first.call({ x: 1 });
    await first.call({ x: 'anything' });
    expect(first.backend.calls).toHaveLength(2);
    // A second tool with the identical schema: same cached outcome, no second warning.
    const second = wrapped(bad, s);
    await second.call({ x: true });
    expect(second.backend.calls).toHaveLength(1);
    expect(warn).toHaveBeenCalledTimes(1);
  });

  it('a broken schema on one tool does not affect another tool', async () => {
    const s = stage();
    await wrapped({ type: 'nonsense' }, s).call({});
    const { call } = wrapped(FILE_SCHEMA, s);
    expect((await relayError(call({}))).code).toBe('INVALID_ARGUMENTS');
  });
});

describe('schema-validation: compilation', () => {
  it('compiles on first call, and identical schemas compile once', async () => {
    const require = createRequire(import.meta.url);
    const Core = (require('ajv/dist/core') as { default: { prototype: { compile: (...a: unknown[]) => unknown } } }).default;
    const compile = vi.spyOn(Core.prototype, 'compile');
    const s = stage();
    const a = wrapped(structuredClone(FILE_SCHEMA), s);
    const b = wrapped(structuredClone(FILE_SCHEMA), s);
    expect(compile).toHaveBeenCalledTimes(0); // building routes compiles nothing
    await a.call({ path: '/x' });
    await a.call({ path: '/y' });
    await b.call({ path: '/z' });
    expect(compile).toHaveBeenCalledTimes(1);
    const c = wrapped({ ...FILE_SCHEMA, required: [] }, s);
    await c.call({});
    expect(compile).toHaveBeenCalledTimes(2);
  });
});
