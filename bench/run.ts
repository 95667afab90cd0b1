/**
 * `npm run bench`: one runner for every scenario (bench/scenarios/).
 *
 *   npm run bench -- [--scenario all|NAME,GROUP,…] [--connections 1,8,32] [--duration 5]
 *                    [--warmup 3] [--repeat 1] [--json FILE] [--compare BASE.json] [--smoke]
 *                    [--noise-threshold 0.15] [--retries 1] [--quiet-wait 10] [--cpu-prof DIR]
 *   npm run bench -- --report RESULT.json [--compare BASE.json]   (re-render a saved run)
 *
 * Per scenario (fresh processes per repetition; shared backends for the whole run):
 * start → session + warm-up at c=8 → for each concurrency: wait for a quiet
 * machine, open a session, run the cell, read CPU and RSS from /proc, close the
 * session; retry a cell whose foreign load exceeded the threshold. With
 * --repeat 2 the scenario order is A…Z then Z…A (ABBA). Results: table on
 * stdout, progress on stderr, JSON + Markdown + SVG under bench/results/.
 * Exit code 1 when a scenario failed to start or any cell had errors, non-2xx
 * or mismatches (performance targets never fail the run).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, ROOT_DIR, buildServers } from './lib/build.js';
import { startSharedBackends, type SharedBackends } from './lib/backends.js';
import { closeSession, openSession, runLoad } from './lib/load.js';
import { CpuMeter, machineInfo, memOf, memOfTree, pidStat, waitQuiet } from './lib/proc.js';
import { aggregate, type Cell, type RunFile, type ScenarioRun } from './lib/results.js';
import { computeTargets } from './lib/targets.js';
import { compare, markdown, table, targetsText } from './lib/report.js';
import { chart } from './lib/svg.js';
import { SCENARIOS, selectScenarios } from './scenarios/index.js';
import type { Running, Scenario, ScenarioContext } from './scenarios/types.js';

const { values: argv } = parseArgs({
  options: {
    scenario: { type: 'string', default: 'all' },
    connections: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    json: { type: 'string' },
    md: { type: 'string' },
    svg: { type: 'string' },
    compare: { type: 'string' },
    smoke: { type: 'boolean', default: false },
    'noise-threshold': { type: 'string', default: '0.15' },
    retries: { type: 'string' },
    'quiet-wait': { type: 'string' },
    'cpu-prof': { type: 'string' },
    report: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});

if (argv.help) {
  process.stdout.write(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]!.replace(/^\/\*\*?\n?/, '').replace(/^ \* ?/gm, '') + '\n');
  process.exit(0);
}

const smoke = argv.smoke!;
const opts = {
  scenario: argv.scenario!,
  connections: (argv.connections ?? (smoke ? '1,8' : '1,8,32')).split(',').map(Number),
  duration: Number(argv.duration ?? (smoke ? 1 : 5)),
  warmup: Number(argv.warmup ?? (smoke ? 0.5 : 3)),
  repeat: Number(argv.repeat),
  noiseThreshold: Number(argv['noise-threshold']),
  retries: Number(argv.retries ?? (smoke ? 0 : 1)),
  quietWaitS: Number(argv['quiet-wait'] ?? (smoke ? 1 : 10)),
  smoke,
  cpuProf: argv['cpu-prof'] ? resolve(argv['cpu-prof']) : undefined,
};
for (const [k, v] of Object.entries(opts)) {
  if (typeof v === 'number' && !(v >= 0)) throw new Error(`--${k} must be a non-negative number`);
}
if (opts.connections.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('--connections must be a comma list of positive integers');

const tty = process.stderr.isTTY === true;
const say = (s: string): void => void process.stderr.write((tty ? '\r\x1b[K' : '') + s + '\n');
const progress = (s: string): void => {
  if (tty) process.stderr.write('\r\x1b[K' + s);
};

const running = new Set<Running>();
let shared: SharedBackends | undefined;
async function cleanup(): Promise<void> {
  await Promise.allSettled([...running].map((r) => r.stop()));
  running.clear();
  await shared?.stop();
}
process.on('SIGINT', () => {
  say('interrupted; stopping processes');
  void cleanup().then(() => process.exit(130));
});

/** Re-renders a saved run: rows and targets are recomputed from its cells, the .md and .svg rewritten. */
function report(path: string): number {
  const file = JSON.parse(readFileSync(path, 'utf8')) as RunFile;
  file.rows = aggregate(file.cells, SCENARIOS.map((s) => s.name));
  file.targets = computeTargets(file.rows, file.cells);
  writeFileSync(path, JSON.stringify(file, null, 1) + '\n');
  writeOutputs(file, path);
  if (argv.compare) process.stdout.write('\n' + compare(JSON.parse(readFileSync(resolve(argv.compare), 'utf8')) as RunFile, file) + '\n');
  return 0;
}

function writeOutputs(file: RunFile, jsonPath: string): void {
  process.stdout.write('\n' + table(file.rows) + '\n\n');
  process.stdout.write('* = foreign load above ' + String(file.options.noiseThreshold) + ' cores during the cell (after retries)\n\n');
  process.stdout.write('Targets (same run):\n' + targetsText(file.targets) + '\n');
  const base = jsonPath.replace(/\.json$/, '');
  const mdPath = resolve(argv.md ?? `${base}.md`);
  const svgPath = resolve(argv.svg ?? `${base}.svg`);
  writeFileSync(mdPath, markdown(file));
  writeFileSync(svgPath, chart(file.rows, `mcp-relay bench, ${file.machine.cpuModel} × ${file.machine.cores}, Node ${file.machine.node}, ${file.startedAt.slice(0, 10)}`));
  say(`results: ${jsonPath}\n         ${mdPath}\n         ${svgPath}`);
}

async function main(): Promise<number> {
  if (argv.report) return report(resolve(argv.report));
  if (!existsSync(join(ROOT_DIR, 'dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build` first');
  const scenarios = selectScenarios(opts.scenario);
  const started = new Date();
  const machine = machineInfo();
  say(`mcp-relay bench: ${scenarios.length} scenario(s) × c=${opts.connections.join(',')} × ${opts.duration}s (warm-up ${opts.warmup}s, repeat ${opts.repeat}${opts.smoke ? ', smoke' : ''}) on ${machine.cpuModel} × ${machine.cores}, Node ${machine.node}`);

  const servers = buildServers();
  const tmpDir = join(BENCH_DIR, '.tmp-run');
  mkdirSync(tmpDir, { recursive: true });
  if (opts.cpuProf) mkdirSync(opts.cpuProf, { recursive: true });
  shared = await startSharedBackends(servers);
  const ctx: ScenarioContext = { servers, backends: shared, tmpDir, nodeArgs: opts.cpuProf ? ['--cpu-prof', '--cpu-prof-dir', opts.cpuProf] : [] };

  const cells: Cell[] = [];
  const runs: ScenarioRun[] = [];
  for (let rep = 1; rep <= opts.repeat; rep++) {
    const order = rep % 2 === 1 ? scenarios : [...scenarios].reverse();
    for (const sc of order) {
      const run = await runScenario(sc, rep, ctx, cells);
      runs.push(run);
    }
  }
  await cleanup();
  rmSync(tmpDir, { recursive: true, force: true });

  const rows = aggregate(cells, SCENARIOS.map((s) => s.name));
  const targets = computeTargets(rows, cells);
  const file: RunFile = {
    kind: 'mcp-relay-bench',
    version: 1,
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    options: { ...opts, connections: opts.connections.join(',') },
    scenarios: scenarios.map((s) => ({ name: s.name, description: s.description })),
    runs,
    cells,
    rows,
    targets,
  };

  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const jsonPath = resolve(argv.json ?? join(BENCH_DIR, 'results', `${opts.smoke ? 'smoke' : 'bench'}-${stamp}.json`));
  mkdirSync(dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify(file, null, 1) + '\n');
  writeOutputs(file, jsonPath);

  if (argv.compare) {
    const baseRun = JSON.parse(readFileSync(resolve(argv.compare), 'utf8')) as RunFile;
    process.stdout.write('\n' + compare(baseRun, file) + '\n');
  }

  const bad = cells.filter((c) => c.errors + c.timeouts + c.non2xx + c.mismatches > 0);
  const failed = runs.filter((r) => !r.ok);
  for (const c of bad) say(`FAIL ${c.scenario} c=${c.c} rep ${c.rep}: ${c.errors} errors, ${c.timeouts} timeouts, ${c.non2xx} non-2xx, ${c.mismatches} mismatches`);
  for (const r of failed) say(`FAIL ${r.scenario} rep ${r.rep}: ${r.error}`);
  if (bad.length || failed.length) return 1;
  say(`ok: ${cells.length} cells, ${cells.reduce((t, c) => t + c.ok, 0).toLocaleString('en-US')} responses checked, 0 errors/mismatches (${basename(jsonPath)})`);
  return 0;
}

async function runScenario(sc: Scenario, rep: number, ctx: ScenarioContext, cells: Cell[]): Promise<ScenarioRun> {
  const tag = `[rep ${rep}/${opts.repeat}] ${sc.name}`;
  let r: Running | undefined;
  const t0 = performance.now();
  try {
    await waitQuiet(opts.noiseThreshold, opts.quietWaitS * 1000);
    r = await sc.start(ctx);
    running.add(r);
    const startMs = Math.round(performance.now() - t0);
    if (opts.warmup > 0) {
      const s = await openSession(r.url, r.tool, r.headers);
      await runLoad(s, { connections: 8, durationS: opts.warmup, onTick: (t) => progress(`${tag} warm-up ${t.elapsedS.toFixed(0)}s ${t.ok} ok`) });
      await closeSession(s);
    }
    const rssAfterWarmupMiB = Math.round(((memOf(r.pids[0]!)?.rssKiB ?? 0) / 1024) * 10) / 10;
    for (const c of opts.connections) cells.push(await runCell(sc, r, rep, c, tag));
    const mirror = r.adminUrl ? await mirrorCounters(r.adminUrl) : undefined;
    return { scenario: sc.name, rep, ok: true, startMs, rssAfterWarmupMiB, ...(mirror ? { mirror } : {}) };
  } catch (err) {
    const alive = r ? pidStat(r.pids[0]!) !== undefined : false;
    const out = r?.tail?.().split('\n').slice(-30).join('\n      ');
    say(`${tag}: FAILED: ${(err as Error).message}${r ? `\n    measured process ${alive ? 'still running' : 'has exited'}; its last output:\n      ${out || '(none)'}` : ''}`);
    return { scenario: sc.name, rep, ok: false, error: (err as Error).message.split('\n')[0] };
  } finally {
    if (r) {
      await r.stop();
      running.delete(r);
    }
  }
}

async function runCell(sc: Scenario, r: Running, rep: number, c: number, tag: string): Promise<Cell> {
  for (let attempt = 1; ; attempt++) {
    const quiet = await waitQuiet(opts.noiseThreshold, opts.quietWaitS * 1000);
    if (quiet > opts.noiseThreshold) say(`${tag} c=${c}: machine still busy (${quiet.toFixed(2)} foreign cores) after ${opts.quietWaitS}s; measuring anyway`);
    const session = await openSession(r.url, r.tool, r.headers);
    const meter = new CpuMeter();
    const rssTimelineMiB: number[] = [];
    const sampleRss = (): void => void rssTimelineMiB.push(Math.round(((memOf(r.pids[0]!)?.rssKiB ?? 0) / 1024) * 10) / 10);
    sampleRss();
    meter.start();
    const res = await runLoad(session, {
      connections: c,
      durationS: opts.duration,
      onTick: (t) => {
        sampleRss();
        progress(`${tag} c=${c} ${t.elapsedS.toFixed(0)}/${opts.duration}s ${Math.round(t.ok / t.elapsedS).toLocaleString('en-US')} req/s  err ${t.errors}  mism ${t.mismatches}`);
      },
    });
    const cpu = meter.stop({ proxy: r.pids, backend: r.backendPids });
    sampleRss();
    const proxyPids = cpu.groups.proxy!.pids;
    const mem = memOfTree(proxyPids);
    await closeSession(session);
    const wall = cpu.wallS;
    const calls = Math.max(1, res.ok);
    const foreign = cpu.foreignCores;
    const noisy = foreign > opts.noiseThreshold;
    const cell: Cell = {
      scenario: sc.name,
      rep,
      c,
      attempts: attempt,
      durationS: res.durationS,
      ok: res.ok,
      reqPerS: res.reqPerS,
      sent: res.sent,
      non2xx: res.non2xx,
      errors: res.errors,
      timeouts: res.timeouts,
      mismatches: res.mismatches,
      latency: res.latency,
      acLatencyMs: res.acLatencyMs,
      hist: res.hist,
      contentType: res.contentType,
      proxyCores: cpu.groups.proxy!.cpuS / wall,
      proxyUsPerCall: (cpu.groups.proxy!.cpuS * 1e6) / calls,
      backendCores: cpu.groups.backend!.cpuS / wall,
      backendUsPerCall: (cpu.groups.backend!.cpuS * 1e6) / calls,
      loadgenCores: cpu.loadgenCpuS / wall,
      loadgenUsPerCall: (cpu.loadgenCpuS * 1e6) / calls,
      machineBusyCores: cpu.machineBusyS / wall,
      foreignCores: foreign,
      stealCores: cpu.stealCores,
      noisy,
      proxyProcs: proxyPids.map((p) => pidStat(p)?.comm ?? String(p)),
      mem,
      rssTimelineMiB,
    };
    say(
      `${tag} c=${c}: ${Math.round(res.reqPerS).toLocaleString('en-US')} req/s, p50 ${(res.latency.p50Us / 1000).toFixed(2)} ms, p99 ${(res.latency.p99Us / 1000).toFixed(2)} ms, ` +
        `proxy ${cell.proxyCores.toFixed(2)} cores ${Math.round(cell.proxyUsPerCall)} µs/call, RSS ${mem.mainHwmMiB} MiB, foreign ${foreign.toFixed(2)}${noisy ? ' *' : ''}` +
        (res.errors + res.non2xx + res.mismatches ? `, ERRORS ${res.errors} non2xx ${res.non2xx} mismatches ${res.mismatches}` : ''),
    );
    if (!noisy || attempt > opts.retries) return cell;
    say(`${tag} c=${c}: foreign load ${foreign.toFixed(2)} cores > ${opts.noiseThreshold}; retrying (${attempt}/${opts.retries})`);
  }
}

async function mirrorCounters(adminUrl: string): Promise<unknown> {
  try {
    const res = await fetch(`${adminUrl}/mirror`);
    if (!res.ok) return undefined;
    const j = (await res.json()) as { enabled?: boolean; queue?: unknown; mirrors?: { mirror: string; percent: number; counters: unknown; latency: unknown }[] };
    if (!j.enabled) return undefined;
    return { queue: j.queue, mirrors: j.mirrors?.map((m) => ({ mirror: m.mirror, percent: m.percent, counters: m.counters, latency: m.latency })) };
  } catch {
    return undefined;
  }
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    say(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    await cleanup();
    process.exit(2);
  },
);
