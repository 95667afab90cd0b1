import { describe, it, expect } from 'vitest';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { isSampled, sample } from '../../src/mirror/sampler.js';
import { COUNTERS, SharedCounters, STRIDE } from '../../src/mirror/counters.js';

describe('isSampled', () => {
  it('samples exactly p of every 100 consecutive n, for every p in 1..100', () => {
    for (let p = 1; p <= 100; p++) {
      let total = 0;
      for (let block = 0; block < 100; block++) {
        let inBlock = 0;
        for (let r = 0; r < 100; r++) if (isSampled(BigInt(block * 100 + r), p)) inBlock++;
        expect(inBlock, `p=${p} block=${block}`).toBe(p);
        total += inBlock;
      }
      expect(total).toBe(p * 100);
    }
  });

  it('exactly p per 100 in any window of 100 consecutive n, not only aligned blocks', () => {
    for (const p of [1, 3, 7, 10, 33, 50, 99]) {
      const bits = Array.from({ length: 10_000 }, (_, n) => isSampled(BigInt(n), p));
      let win = bits.slice(0, 100).filter(Boolean).length;
      for (let start = 1; start + 100 <= bits.length; start++) {
        win += (bits[start + 99] ? 1 : 0) - (bits[start - 1] ? 1 : 0);
        expect(win).toBe(p);
      }
    }
  });

  it('spreads samples evenly: the gap between sampled n is at most ceil(100/p)', () => {
    for (let p = 1; p <= 100; p++) {
      let last = -1;
      let maxGap = 0;
      let first = -1;
      for (let n = 0; n < 10_000; n++) {
        if (!isSampled(BigInt(n), p)) continue;
        if (first < 0) first = n;
        if (last >= 0) maxGap = Math.max(maxGap, n - last);
        last = n;
      }
      expect(maxGap, `p=${p}`).toBeLessThanOrEqual(Math.ceil(100 / p));
      // The first sample comes within the first ceil(100/p) calls.
      expect(first, `p=${p}`).toBeLessThan(Math.ceil(100 / p));
    }
  });

  it('10 % picks 9, 19, 29, … (not the first 10 of each 100)', () => {
    const picked = Array.from({ length: 100 }, (_, n) => n).filter((n) => isSampled(BigInt(n), 10));
    expect(picked).toEqual([9, 19, 29, 39, 49, 59, 69, 79, 89, 99]);
  });

  it('100 % (and above) samples everything; huge n keep working', () => {
    for (let n = 0n; n < 1000n; n++) expect(isSampled(n, 100)).toBe(true);
    expect(isSampled(2n ** 40n, 150)).toBe(true);
    const base = 2n ** 62n - (2n ** 62n % 100n);
    let c = 0;
    for (let r = 0n; r < 100n; r++) if (isSampled(base + r, 7)) c++;
    expect(c).toBe(7);
  });
});

describe('sample() on SharedCounters', () => {
  it('counts eligible and sampled per link', () => {
    const counters = SharedCounters.create(2);
    let yes = 0;
    for (let i = 0; i < 1000; i++) if (sample(counters, 1, 25)) yes++;
    expect(yes).toBe(250);
    expect(counters.get(1, 'eligible')).toBe(1000);
    expect(counters.get(1, 'sampled')).toBe(250);
    expect(counters.get(0, 'eligible')).toBe(0);
    expect(counters.snapshot(1)).toMatchObject({ eligible: 1000, sampled: 250, sent: 0 });
  });
  it('has one slice per link plus one for gauges', () => {
    expect(SharedCounters.create(3).array.length).toBe(STRIDE * 4);
    expect(STRIDE).toBe(COUNTERS.length);
  });
  it('add returns the previous value', () => {
    const c = SharedCounters.create(1);
    expect(c.add(0, 'sent')).toBe(0n);
    expect(c.add(0, 'sent', 5n)).toBe(1n);
    expect(c.get(0, 'sent')).toBe(6);
  });
});

describe('sample() from several threads on one SharedCounters', () => {
  const dist = fileURLToPath(new URL('../../dist/mirror/', import.meta.url));

  it('two workers plus the main thread: exactly 3,000 of 30,000 at 10 % and 900 of 30,000 at 3 %', async () => {
    if (!existsSync(join(dist, 'sampler.js'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it in pretest)');
    const countersUrl = pathToFileURL(join(dist, 'counters.js')).href;
    const samplerUrl = pathToFileURL(join(dist, 'sampler.js')).href;
    const dir = mkdtempSync(join(tmpdir(), 'mcp-relay-sampler-'));
    const workerFile = join(dir, 'sample-worker.mjs');
    // Waits on a start flag so the three threads really sample at the same time.
    writeFileSync(
      workerFile,
      `import { parentPort, workerData } from 'node:worker_threads';
import { SharedCounters } from ${JSON.stringify(countersUrl)};
import { sample } from ${JSON.stringify(samplerUrl)};
const counters = new SharedCounters(workerData.buffer);
const gate = new Int32Array(workerData.gate);
Atomics.add(gate, 1, 1);
Atomics.notify(gate, 1);
Atomics.wait(gate, 0, 0);
const got = [0, 0];
for (let i = 0; i < workerData.calls; i++) {
  if (sample(counters, 0, 10)) got[0]++;
  if (sample(counters, 1, 3)) got[1]++;
}
parentPort.postMessage(got);
`,
    );
    try {
      const counters = SharedCounters.create(2);
      const gate = new Int32Array(new SharedArrayBuffer(8));
      const calls = 10_000;
      const workers = [0, 1].map(() => new Worker(workerFile, { workerData: { buffer: counters.buffer, gate: gate.buffer, calls } }));
      const results = workers.map(
        (w) =>
          new Promise<number[]>((resolve, reject) => {
            w.once('message', (m: number[]) => resolve(m));
            w.once('error', reject);
            w.once('exit', (code) => {
              if (code !== 0) reject(new Error(`worker exited with ${code}`));
            });
          }),
      );
      // Wait until both workers are parked on the gate, then open it and sample here too.
      const deadline = Date.now() + 10_000;
      while (Atomics.load(gate, 1) < 2) {
        if (Date.now() > deadline) throw new Error('workers did not start');
        await new Promise((r) => setTimeout(r, 5));
      }
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      const mine = [0, 0];
      for (let i = 0; i < calls; i++) {
        if (sample(counters, 0, 10)) mine[0]!++;
        if (sample(counters, 1, 3)) mine[1]!++;
      }
      const theirs = await Promise.all(results);
      await Promise.all(workers.map((w) => w.terminate()));
      const total = (k: number): number => mine[k]! + theirs.reduce((a, t) => a + t[k]!, 0);

      expect(counters.get(0, 'eligible')).toBe(30_000);
      expect(counters.get(1, 'eligible')).toBe(30_000);
      expect(total(0)).toBe(3_000);
      expect(total(1)).toBe(900);
      expect(counters.get(0, 'sampled')).toBe(3_000);
      expect(counters.get(1, 'sampled')).toBe(900);
      // Every participant drew from the same counter and got a share.
      for (const got of [mine, ...theirs]) expect(got[0]).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
