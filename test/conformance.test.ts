/**
 * Differential conformance: scripts/conformance-parity.ts runs the MCP
 * conformance suite (0.1.16, on Node 24 via npx) against server-everything
 * directly and through mcp-relay and exits 1 on any regression.
 * The first run downloads node@24 and the suite from the npm registry.
 */
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

describe('conformance parity with server-everything', () => {
  it('every scenario that passes directly passes through mcp-relay', () => {
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/conformance-parity.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const output = `${r.stdout}\n${r.stderr}`;
    if (r.status !== 0) console.error(output);
    expect(r.error, `spawn failed after ${Date.now() - started} ms`).toBeUndefined();
    expect(r.status, output).toBe(0);
    expect(r.stdout).toContain('OK: every scenario that passes directly passes through mcp-relay');
    expect(r.stdout).toMatch(/\| tools-list +\| PASS/);
  }, 200_000);
});
