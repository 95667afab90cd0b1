import { describe, expect, it } from 'vitest';
import { argumentSizeStage } from '../../../src/pipeline/stages/argument-size.js';
import { buildPipeline } from '../../../src/pipeline/order.js';
import type { CallStage } from '../../../src/pipeline/types.js';
import { backendToml, catalogRoute, envFrom, FakeBackend, invoke, invokeStage, relayError, route, tool } from './fixtures.js';

const limited = (limit: number, extra = ''): string => `[security]\nmax_argument_size = ${limit}\n\n${backendToml('b', extra)}`;
const size = (args: unknown): number => Buffer.byteLength(JSON.stringify(args));

function wrapperFor(limit: number): { wrap: CallStage; backend: FakeBackend; r: ReturnType<typeof route> } {
  const stage = argumentSizeStage(envFrom(limited(limit)))!;
  expect(stage).not.toBeNull();
  const backend = new FakeBackend('b');
  const r = route(backend, 'tool', 'echo', tool('echo'));
  const wrap = stage.route!(r);
  expect(wrap).not.toBeNull();
  return { wrap: wrap!, backend, r };
}

describe('argument-size', () => {
  it('is off without security.max_argument_size', () => {
    expect(argumentSizeStage(envFrom(backendToml('b')))).toBeNull();
  });

  it('rejects arguments over the limit with ARGUMENTS_TOO_LARGE and {size, limit}, without reaching the backend', async () => {
    const args = { text: 'x'.repeat(100) };
    const { wrap, backend, r } = wrapperFor(50);
    const err = await relayError(invokeStage(wrap, r, args));
    expect(err.code).toBe('ARGUMENTS_TOO_LARGE');
    expect(err.data).toMatchObject({ size: size(args), limit: 50, name: 'b/echo' });
    expect(err.message).toContain(`${size(args)} bytes`);
    expect(err.message).toContain('50 bytes');
    expect(backend.calls).toHaveLength(0);
  });

  it('passes arguments exactly at the limit, unchanged', async () => {
    const args = { text: 'abc' };
    const { wrap, backend, r } = wrapperFor(size(args));
    await invokeStage(wrap, r, args);
    expect(backend.lastArgs).toEqual(args);
  });

  it('rejects one byte over the limit', async () => {
    const args = { text: 'abcd' };
    const { wrap, r } = wrapperFor(size(args) - 1);
    expect((await relayError(invokeStage(wrap, r, args))).code).toBe('ARGUMENTS_TOO_LARGE');
  });

  it('measures bytes, not characters (multi-byte UTF-8)', async () => {
    const args = { text: 'é'.repeat(10) }; // 20 bytes of text, 10 characters
    const { wrap, r } = wrapperFor(JSON.stringify(args).length); // the character count
    const err = await relayError(invokeStage(wrap, r, args));
    expect(err.data).toMatchObject({ size: size(args) });
  });

  it('omitted arguments count as {} (2 bytes)', async () => {
    const { wrap, backend, r } = wrapperFor(2);
    await invokeStage(wrap, r, undefined);
    expect(backend.calls).toHaveLength(1);
  });

  it('non-tool routes get no wrapper', () => {
    const stage = argumentSizeStage(envFrom(limited(1)))!;
    const backend = new FakeBackend('b');
    expect(stage.route!(route(backend, 'prompt', 'summary', { name: 'summary' }))).toBeNull();
    expect(stage.route!(route(backend, 'resource', 'demo://x'))).toBeNull();
  });

  it('is measured on the client arguments, before injection adds to them', async () => {
    const big = 'y'.repeat(500);
    const toml = limited(40, `default_args = { blob = "${big}" }\n\n[[backends.inject_args]]\ntool = "echo"\nargs = { more = "${big}" }`);
    const p = buildPipeline(envFrom(toml));
    expect(p.active).toEqual(['argument-size', 'inject']);
    const backend = new FakeBackend('b');
    const { route: r } = catalogRoute(p, backend, tool('echo'));
    await invoke(r.handler, r, { q: 'hi' });
    const sent = backend.lastArgs as Record<string, unknown>;
    expect(sent).toEqual({ q: 'hi', more: big, blob: big });
    expect(size(sent)).toBeGreaterThan(40);
    // The client's own oversized arguments are still refused.
    const err = await relayError(invoke(r.handler, r, { q: big }));
    expect(err.code).toBe('ARGUMENTS_TOO_LARGE');
    expect(backend.calls).toHaveLength(1);
  });
});
