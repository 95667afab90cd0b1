/**
 * Processes: spawning and stopping the ones the harness starts, and reading
 * Linux /proc for what they cost.
 *   - CPU: /proc/PID/stat utime+stime (clock ticks, 100 Hz) per process tree;
 *     machine busy time from /proc/stat; the harness's own CPU from process.cpuUsage().
 *   - Memory: /proc/PID/status VmHWM (peak RSS since start) and VmRSS.
 *   - Readiness: a log line on stderr, or (for servers that log nothing at
 *     their level) a LISTEN socket owned by the PID in /proc/PID/net/tcp{,6}.
 * Only PIDs this harness spawned (and their descendants) are ever signalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { cpus, totalmem, release, platform } from 'node:os';

export const TICK_US = 10_000; // 1 / CLK_TCK (100 Hz on Linux)

export interface Spawned {
  name: string;
  pid: number;
  child: ChildProcess;
  /** Last lines of stderr+stdout, for error messages. */
  tail(): string;
  exited: Promise<number | null>;
}

export function spawnProc(name: string, cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: 'ignore' | 'pipe' } = {}): Spawned {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`${name}: spawn failed (${cmd})`);
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(l);
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, pid: child.pid, child, tail: () => lines.join('\n'), exited };
}

/** Resolves with the first stderr/stdout match of `re`, or with a LISTEN port of the PID. */
export function waitReady(p: Spawned, opts: { re?: RegExp; listenPort?: boolean; timeoutMs: number }): Promise<{ match?: RegExpMatchArray; port?: number }> {
  return new Promise((resolve, reject) => {
    let done = false;
    let buf = '';
    const finish = (err: Error | null, v?: { match?: RegExpMatchArray; port?: number }): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poll);
      p.child.stderr!.off('data', onData);
      p.child.stdout!.off('data', onData);
      if (err) reject(err);
      else resolve(v!);
    };
    const onData = (c: Buffer): void => {
      if (!opts.re) return;
      buf += c.toString('utf8');
      const m = buf.match(opts.re);
      if (m) finish(null, { match: m });
      if (buf.length > 65536) buf = buf.slice(-4096);
    };
    p.child.stderr!.on('data', onData);
    p.child.stdout!.on('data', onData);
    void p.exited.then((code) => finish(new Error(`${p.name} exited (code ${code}) before it was ready:\n${p.tail()}`)));
    const timer = setTimeout(() => finish(new Error(`${p.name} not ready after ${opts.timeoutMs} ms:\n${p.tail()}`)), opts.timeoutMs);
    const poll = setInterval(() => {
      if (!opts.listenPort) return;
      const ports = listeningPorts(p.pid);
      if (ports.length) finish(null, { port: ports[0]! });
    }, 50);
  });
}

/** TCP ports in LISTEN state whose socket belongs to `pid`. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const l = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (l.startsWith('socket:[')) inodes.add(l.slice(8, -1));
      } catch {
        /* fd closed meanwhile */
      }
    }
  } catch {
    return [];
  }
  const ports: number[] = [];
  for (const file of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue;
      if (inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

interface PidStat {
  ppid: number;
  ticks: number;
  comm: string;
}

export function pidStat(pid: number): PidStat | undefined {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = s.lastIndexOf(')');
  const comm = s.slice(s.indexOf('(') + 1, close);
  const f = s.slice(close + 2).split(' ');
  // fields after comm: state(0) ppid(1) … utime(11) stime(12)
  return { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), comm };
}

function allPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    const c = d.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(d));
  }
  return out;
}

/** pid → {ppid, ticks} for every process on the machine (one pass over /proc). */
export function snapshotAll(): Map<number, PidStat> {
  const m = new Map<number, PidStat>();
  for (const pid of allPids()) {
    const s = pidStat(pid);
    if (s) m.set(pid, s);
  }
  return m;
}

/** `roots` and all their descendants, found in a snapshot. */
export function treeOf(roots: readonly number[], snap: Map<number, PidStat>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, s] of snap) {
    const list = children.get(s.ppid);
    if (list) list.push(pid);
    else children.set(s.ppid, [pid]);
  }
  const out: number[] = [];
  const stack = roots.filter((r) => snap.has(r));
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    for (const c of children.get(p) ?? []) stack.push(c);
  }
  return out;
}

/** Machine CPU from /proc/stat, in ticks: busy = user+nice+system+irq+softirq (steal excluded). */
export function machineTicks(): { busy: number; total: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  return { busy: user + nice + system + irq + softirq, total: user + nice + system + idle + iowait + irq + softirq + steal, steal };
}

export interface MemInfo {
  hwmKiB: number;
  rssKiB: number;
}

export function memOf(pid: number): MemInfo | undefined {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const get = (k: string): number => {
    const m = s.match(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  return { hwmKiB: get('VmHWM'), rssKiB: get('VmRSS') };
}

/** Sum of VmHWM / VmRSS over a list of PIDs, plus the first (main) process alone. */
export function memOfTree(pids: readonly number[]): { mainHwmMiB: number; mainRssMiB: number; treeHwmMiB: number; treeRssMiB: number } {
  let treeHwm = 0;
  let treeRss = 0;
  let mainHwm = 0;
  let mainRss = 0;
  pids.forEach((pid, i) => {
    const m = memOf(pid);
    if (!m) return;
    treeHwm += m.hwmKiB;
    treeRss += m.rssKiB;
    if (i === 0) {
      mainHwm = m.hwmKiB;
      mainRss = m.rssKiB;
    }
  });
  const mib = (k: number): number => Math.round((k / 1024) * 10) / 10;
  return { mainHwmMiB: mib(mainHwm), mainRssMiB: mib(mainRss), treeHwmMiB: mib(treeHwm), treeRssMiB: mib(treeRss) };
}

/**
 * CPU accounting over an interval. start() snapshots every process, the machine
 * counters and this process's cpuUsage; stop() returns per-group CPU seconds
 * (groups are process trees given as root PIDs), the harness total (this
 * process and all its descendants) and the foreign residual: machine busy time
 * not spent by the harness, i.e. other load on a shared box.
 */
export class CpuMeter {
  #t0 = 0;
  #snap = new Map<number, PidStat>();
  #m0 = machineTicks();
  #self0 = process.cpuUsage();

  start(): void {
    this.#snap = snapshotAll();
    this.#m0 = machineTicks();
    this.#self0 = process.cpuUsage();
    this.#t0 = performance.now();
  }

  stop(groups: Record<string, readonly number[]>): CpuReport {
    const wall = (performance.now() - this.#t0) / 1000;
    const self = process.cpuUsage(this.#self0);
    const m1 = machineTicks();
    const end = snapshotAll();
    const delta = (pids: readonly number[]): number => {
      let t = 0;
      for (const pid of pids) {
        const a = end.get(pid);
        if (!a) continue;
        const b = this.#snap.get(pid);
        // a PID that appeared during the interval counts from zero
        t += b && b.ppid === a.ppid ? a.ticks - b.ticks : a.ticks;
      }
      return (t * TICK_US) / 1e6;
    };
    const out: Record<string, { cpuS: number; pids: number[] }> = {};
    for (const [k, roots] of Object.entries(groups)) {
      const pids = treeOf(roots, end);
      out[k] = { cpuS: delta(pids), pids };
    }
    const harness = delta(treeOf([process.pid], end));
    const busy = ((m1.busy - this.#m0.busy) * TICK_US) / 1e6;
    const steal = ((m1.steal - this.#m0.steal) * TICK_US) / 1e6;
    return {
      wallS: wall,
      groups: out,
      loadgenCpuS: (self.user + self.system) / 1e6,
      harnessCpuS: harness,
      machineBusyS: busy,
      foreignCores: Math.max(0, busy - harness) / wall,
      stealCores: steal / wall,
    };
  }
}

export interface CpuReport {
  wallS: number;
  groups: Record<string, { cpuS: number; pids: number[] }>;
  loadgenCpuS: number;
  harnessCpuS: number;
  machineBusyS: number;
  foreignCores: number;
  stealCores: number;
}

/** Measures foreign load for `ms` (nothing of ours running under load). */
export async function foreignLoad(ms: number): Promise<number> {
  const m = new CpuMeter();
  m.start();
  await new Promise((r) => setTimeout(r, ms));
  return m.stop({}).foreignCores;
}

/** Waits (bounded) until foreign load is under `threshold` cores; returns the last reading. */
export async function waitQuiet(threshold: number, maxWaitMs: number, sampleMs = 500): Promise<number> {
  const deadline = Date.now() + maxWaitMs;
  let f = await foreignLoad(sampleMs);
  while (f > threshold && Date.now() < deadline) f = await foreignLoad(sampleMs);
  return f;
}

/** SIGTERM the trees of `roots` (all descendants collected first), SIGKILL what is left after `graceMs`. */
export async function killTree(roots: readonly number[], graceMs = 3000): Promise<void> {
  const pids = treeOf(roots, snapshotAll());
  if (!pids.length) return;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + graceMs;
  const alive = (): number[] => pids.filter((p) => pidStat(p) !== undefined && !isZombie(p));
  while (alive().length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of alive()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

function isZombie(pid: number): boolean {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memGiB: number;
  node: string;
  os: string;
  kernel: string;
}

export function machineInfo(): MachineInfo {
  const c = cpus();
  let osName: string = platform();
  try {
    const m = readFileSync('/etc/os-release', 'utf8').match(/^PRETTY_NAME="?([^"\n]+)"?/m);
    if (m) osName = m[1]!;
  } catch {
    /* not Linux-like */
  }
  return { cpuModel: c[0]?.model ?? 'unknown', cores: c.length, memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, os: osName, kernel: release() };
}
