/**
 * Turns bench/servers/*.ts into plain ESM .js files under bench/.tmp-servers/
 * (gitignored by the `.tmp*` rule) with TypeScript's transpileModule, so the backend
 * processes start with bare `node FILE.js`: no tsx loader, no esbuild helper
 * process in their process tree, nothing but the server in the measurements.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT_DIR = join(BENCH_DIR, '..');

export interface BuiltServers {
  floor: string;
  rawHop: string;
  stdioEcho: string;
}

export function buildServers(): BuiltServers {
  const src = join(BENCH_DIR, 'servers');
  const out = join(BENCH_DIR, '.tmp-servers');
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(src)) {
    if (!f.endsWith('.ts')) continue;
    const { outputText } = ts.transpileModule(readFileSync(join(src, f), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
      fileName: f,
    });
    writeFileSync(join(out, f.replace(/\.ts$/, '.js')), outputText);
  }
  return { floor: join(out, 'floor.js'), rawHop: join(out, 'raw-hop.js'), stdioEcho: join(out, 'stdio-echo.js') };
}
