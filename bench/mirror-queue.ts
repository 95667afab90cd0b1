/**
 * `npm run bench:mirror-queue`: how big should [mirror] queue_size be?
 *
 *   npm run bench:mirror-queue -- [--rate 2000] [--delay-ms 200] [--max-drop 1]
 *        [--queues 16,64,256,1024,4096,16384] [--threads 1,2] [--concurrency N]
 *        [--duration 10] [--connections 32] [--json FILE]
 *
 * At a fixed offered load (autocannon overallRate) mcp-relay mirrors 100 % of
 * calls to a slow canary (the floor with --delay-ms). For every queue_size ×
 * threads setting (fresh relay each, via --mirror-queue-size / --mirror-threads)
 * it reads GET /admin/mirror before and after the window and reports copies
 * delivered per second (Δ succeeded+failed+timed_out), the drop rate
 * (Δ dropped_queue_full / Δ sampled), the queue depth left at the end, primary
 * p99 and the proxy's peak RSS. A short window can hide overload behind a big
 * queue (it just has not filled yet), so a setting only "keeps drops under
 * --max-drop" if the window's drop rate is under it AND the canary keeps up
 * (delivered ≥ (1 − max-drop) × sampled, i.e. the queue is not growing).
 * Recommends the smallest such queue per thread count and prints the trade-off.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, buildServers } from './lib/build.js';
import { startFloor } from './lib/backends.js';
import { closeSession, openSession, runLoad } from './lib/load.js';
import { CpuMeter, killTree, machineInfo, memOf, waitQuiet } from './lib/proc.js';
import { relayToml, startRelay } from './lib/relay.js';
import { MIRROR_DEFAULTS } from './scenarios/proxied.js';

const { values: argv } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    'delay-ms': { type: 'string', default: '200' },
    'max-drop': { type: 'string', default: '1' },
    queues: { type: 'string', default: '16,64,256,1024,4096,16384' },
    threads: { type: 'string', default: '1,2' },
    concurrency: { type: 'string' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    json: { type: 'string' },
  },
  strict: true,
});
const rate = Number(argv.rate);
const delayMs = Number(argv['delay-ms']);
const maxDrop = Number(argv['max-drop']) / 100;
const queues = argv.queues!.split(',').map(Number);
const threadsList = argv.threads!.split(',').map(Number);
const concurrency = argv.concurrency ? Number(argv.concurrency) : MIRROR_DEFAULTS.concurrency;
const duration = Number(argv.duration);
const connections = Number(argv.connections);

interface Counters {
  sampled: number;
  enqueued: number;
  dropped_queue_full: number;
  sent: number;
  succeeded: number;
  failed: number;
  timed_out: number;
}
interface MirrorView {
  queue: { depth: number; capacity: number; in_flight: number };
  mirrors: { counters: Counters }[];
}

interface Point {
  queueSize: number;
  threads: number;
  concurrency: number;
  offeredPerS: number;
  primaryPerS: number;
  sampledPerS: number;
  deliveredPerS: number;
  dropRate: number;
  depthEnd: number;
  inFlightEnd: number;
  keepsUp: boolean;
  meets: boolean;
  primaryP50Ms: number;
  primaryP99Ms: number;
  errors: number;
  peakRssMiB: number;
  queueWaitS: number;
  proxyCores: number;
  foreignCores: number;
}

async function mirrorView(admin: string): Promise<MirrorView> {
  const res = await fetch(`${admin}/mirror`);
  if (!res.ok) throw new Error(`GET ${admin}/mirror: HTTP ${res.status}`);
  return (await res.json()) as MirrorView;
}

const done = (c: Counters): number => c.succeeded + c.failed + c.timed_out;
const say = (s: string): void => void process.stderr.write(s + '\n');

async function main(): Promise<void> {
  const servers = buildServers();
  const tmpDir = join(BENCH_DIR, '.tmp-mirror-queue');
  mkdirSync(tmpDir, { recursive: true });
  const primary = await startFloor(servers, 'floor');
  const canary = await startFloor(servers, 'slow-canary', delayMs);
  const started = new Date();
  const points: Point[] = [];
  say(`mirror-queue sweep: ${rate} req/s offered, mirror 100 % to a canary answering after ${delayMs} ms, concurrency ${concurrency}/thread, ${duration}s per setting, c=${connections}`);
  let reference: { primaryPerS: number; p50Ms: number; p99Ms: number; peakRssMiB: number; proxyCores: number } | undefined;
  try {
    {
      // Reference: the same offered load with mirroring off, for the primary's latency and memory.
      await waitQuiet(0.15, 10_000);
      const relay = await startRelay('mq-reference', relayToml([{ name: 'floor', transport: 'http', url: primary.url }]), tmpDir);
      try {
        const s = await openSession(relay.url, 'floor/echo');
        await runLoad(s, { connections, durationS: 1, rate: Math.min(200, rate) });
        const meter = new CpuMeter();
        meter.start();
        const load = await runLoad(s, { connections, durationS: duration, rate });
        const cpu = meter.stop({ proxy: [relay.proc.pid] });
        await closeSession(s);
        reference = {
          primaryPerS: load.reqPerS,
          p50Ms: load.latency.p50Us / 1000,
          p99Ms: load.latency.p99Us / 1000,
          peakRssMiB: Math.round(((memOf(relay.proc.pid)?.hwmKiB ?? 0) / 1024) * 10) / 10,
          proxyCores: cpu.groups.proxy!.cpuS / cpu.wallS,
        };
        say(`reference (no mirror): primary ${load.reqPerS.toFixed(0)} req/s p50 ${reference.p50Ms.toFixed(2)} ms p99 ${reference.p99Ms.toFixed(2)} ms, RSS ${reference.peakRssMiB} MiB, foreign ${cpu.foreignCores.toFixed(2)}`);
      } finally {
        await relay.stop();
      }
    }
    for (const threads of threadsList) {
      for (const q of queues) {
        await waitQuiet(0.15, 10_000);
        const toml = relayToml(
          [
            { name: 'floor', transport: 'http', url: primary.url },
            { name: 'canary', transport: 'http', url: canary.url, mirror_of: 'floor', mirror_percent: 100 },
          ],
          MIRROR_DEFAULTS,
        );
        const relay = await startRelay(`mq-${threads}-${q}`, toml, tmpDir, ['--mirror-queue-size', String(q), '--mirror-threads', String(threads), '--mirror-concurrency', String(concurrency)]);
        try {
          const s = await openSession(relay.url, 'floor/echo');
          // warm the JIT at a low rate, then let the queue drain (bounded) so every setting starts empty
          await runLoad(s, { connections, durationS: 1, rate: Math.min(200, rate) });
          for (let i = 0; i < 50; i++) {
            const v = await mirrorView(relay.adminUrl);
            if (v.queue.depth === 0 && v.queue.in_flight === 0) break;
            await new Promise((r) => setTimeout(r, 100));
          }
          const before = await mirrorView(relay.adminUrl);
          const meter = new CpuMeter();
          meter.start();
          const load = await runLoad(s, { connections, durationS: duration, rate });
          const cpu = meter.stop({ proxy: [relay.proc.pid] });
          const after = await mirrorView(relay.adminUrl);
          await closeSession(s);
          const b = before.mirrors[0]!.counters;
          const a = after.mirrors[0]!.counters;
          const w = load.durationS;
          const sampled = a.sampled - b.sampled;
          const delivered = done(a) - done(b);
          const dropRate = sampled > 0 ? (a.dropped_queue_full - b.dropped_queue_full) / sampled : 0;
          const keepsUp = delivered >= (1 - maxDrop) * sampled;
          const p: Point = {
            queueSize: q,
            threads,
            concurrency,
            offeredPerS: rate,
            primaryPerS: load.reqPerS,
            sampledPerS: sampled / w,
            deliveredPerS: delivered / w,
            dropRate,
            depthEnd: after.queue.depth,
            inFlightEnd: after.queue.in_flight,
            keepsUp,
            meets: dropRate <= maxDrop && keepsUp,
            primaryP50Ms: load.latency.p50Us / 1000,
            primaryP99Ms: load.latency.p99Us / 1000,
            errors: load.errors + load.non2xx + load.mismatches + load.timeouts,
            peakRssMiB: Math.round(((memOf(relay.proc.pid)?.hwmKiB ?? 0) / 1024) * 10) / 10,
            queueWaitS: delivered > 0 ? after.queue.depth / (delivered / w) : Infinity,
            proxyCores: cpu.groups.proxy!.cpuS / cpu.wallS,
            foreignCores: cpu.foreignCores,
          };
          points.push(p);
          say(
            `threads ${threads} queue ${String(q).padStart(5)}: delivered ${p.deliveredPerS.toFixed(0)}/s of ${p.sampledPerS.toFixed(0)}/s sampled, drops ${(dropRate * 100).toFixed(1)} %, ` +
              `depth ${p.depthEnd}, primary ${p.primaryPerS.toFixed(0)} req/s p99 ${p.primaryP99Ms.toFixed(2)} ms, RSS ${p.peakRssMiB} MiB, foreign ${p.foreignCores.toFixed(2)}${p.errors ? `, ${p.errors} ERRORS` : ''}`,
          );
        } finally {
          await relay.stop();
        }
      }
    }
  } finally {
    await killTree([primary.pid, canary.pid]);
    rmSync(tmpDir, { recursive: true, force: true });
  }

  const head = ['threads', 'queue_size', 'sampled/s', 'delivered/s', 'drop %', 'depth at end', 'queued wait s', 'primary req/s', 'primary p50 ms', 'primary p99 ms', 'peak RSS MiB', 'proxy cores', 'foreign cores', 'meets'];
  const rows = points.map((p) => [
    String(p.threads),
    String(p.queueSize),
    p.sampledPerS.toFixed(0),
    p.deliveredPerS.toFixed(0),
    (p.dropRate * 100).toFixed(1),
    String(p.depthEnd),
    Number.isFinite(p.queueWaitS) ? p.queueWaitS.toFixed(1) : '∞',
    p.primaryPerS.toFixed(0),
    p.primaryP50Ms.toFixed(2),
    p.primaryP99Ms.toFixed(2),
    p.peakRssMiB.toFixed(0),
    p.proxyCores.toFixed(2),
    p.foreignCores.toFixed(2) + (p.foreignCores > 0.15 ? '*' : ''),
    p.meets ? 'yes' : p.keepsUp ? 'no' : 'no (canary too slow)',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  const text: string[] = [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''];
  if (reference) text.push(`Reference, same offered load without mirroring: primary ${reference.primaryPerS.toFixed(0)} req/s, p50 ${reference.p50Ms.toFixed(2)} ms, p99 ${reference.p99Ms.toFixed(2)} ms, peak RSS ${reference.peakRssMiB.toFixed(0)} MiB, proxy ${reference.proxyCores.toFixed(2)} cores.`, '');

  const capacity = (t: number): number => (t * Math.min(concurrency, 64) * 1000) / delayMs;
  for (const threads of threadsList) {
    const mine = points.filter((p) => p.threads === threads);
    const best = mine.find((p) => p.meets);
    const cap = capacity(threads);
    if (best) {
      text.push(`threads ${threads}: recommend queue_size ${best.queueSize} (smallest with drops ≤ ${(maxDrop * 100).toFixed(1)} % at ${rate} req/s; ${best.deliveredPerS.toFixed(0)} copies/s delivered, primary p99 ${best.primaryP99Ms.toFixed(2)} ms, peak RSS ${best.peakRssMiB.toFixed(0)} MiB).`);
    } else {
      const d = Math.max(...mine.map((p) => p.deliveredPerS));
      text.push(
        `threads ${threads}: no queue_size keeps drops ≤ ${(maxDrop * 100).toFixed(1)} % at ${rate} req/s. The canary path delivers at most ~${d.toFixed(0)} copies/s ` +
          `(theory: threads × min(concurrency, 64 worker connections) / canary latency = ${threads} × ${Math.min(concurrency, 64)} / ${delayMs} ms = ${cap.toFixed(0)}/s), ` +
          `so any queue fills and then drops ≈ ${(Math.max(0, 1 - d / rate) * 100).toFixed(0)} %; a bigger queue only delays the drops and makes copies staler.`,
      );
    }
  }
  const deepest = [...points].sort((x, y) => y.depthEnd - x.depthEnd)[0];
  if (deepest && deepest.depthEnd > 0) {
    const rss = points.map((p) => p.peakRssMiB);
    const spread = Math.max(...rss) - Math.min(...rss);
    const maxWait = Math.max(...points.filter((p) => Number.isFinite(p.queueWaitS)).map((p) => p.queueWaitS));
    text.push(
      `Trade-off: memory is not what limits the queue: peak RSS varied by ${spread.toFixed(0)} MiB across settings with no trend in queue size, ` +
        `so ${deepest.depthEnd} queued copies cost at most ~${((spread * 1024) / deepest.depthEnd).toFixed(1)} KiB each. Staleness does: a queued copy waits depth / delivered-rate ` +
        `before it reaches the canary (up to ${maxWait.toFixed(1)} s here), so mirror results lag the primary by that much, and a queue that is still filling shows no drops yet. ` +
        'The queue only absorbs bursts; sustained canary throughput comes from threads × concurrency.',
    );
  }
  if (points.some((p) => p.foreignCores > 0.15)) text.push('* = foreign load above 0.15 cores during the window (shared machine); treat its latency figures with care.');
  text.push('Note: autocannon enforces overallRate per connection per 1-second tick, so the offered load arrives in bursts at the start of every second; the queue must absorb those bursts even when the average rate is sustainable.');
  process.stdout.write(text.join('\n') + '\n');

  const stamp = started.toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const out = resolve(argv.json ?? join(BENCH_DIR, 'results', `mirror-queue-${stamp}.json`));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ kind: 'mcp-relay-mirror-queue', startedAt: started.toISOString(), machine: machineInfo(), options: { rate, delayMs, maxDropPercent: maxDrop * 100, queues, threads: threadsList, concurrency, duration, connections }, reference, points, summary: text }, null, 1) + '\n');
  say(`results: ${out}`);
}

main().catch((err: unknown) => {
  say(`mirror-queue failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(2);
});
