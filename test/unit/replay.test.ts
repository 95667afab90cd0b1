import { describe, expect, it } from 'vitest';
import { ReplayLog } from '../../src/server/replay.js';

describe('ReplayLog (GET stream resumability)', () => {
  it('numbers messages g1, g2, … and replays those after a given id, oldest first', () => {
    const log = new ReplayLog();
    expect(log.lastId).toBe('g0');
    expect(['a', 'b', 'c'].map((m) => log.add(m))).toEqual(['g1', 'g2', 'g3']);
    expect(log.since('g1')).toEqual([{ id: 'g2', json: 'b' }, { id: 'g3', json: 'c' }]);
    expect(log.since('g0').map((e) => e.json)).toEqual(['a', 'b', 'c']);
    expect(log.since('g3')).toEqual([]);
  });

  it('replays nothing for an id it never issued', () => {
    const log = new ReplayLog();
    log.add('a');
    for (const id of ['g9', 'x1', '1', 'g', 'g-1', 'g1.5', 'g99999999999999999999']) expect(log.since(id)).toEqual([]);
  });

  it('keeps the newest 128 messages and at most 256 KiB; older ones are gone', () => {
    const log = new ReplayLog();
    for (let i = 1; i <= 200; i++) log.add(`m${i}`);
    const kept = log.since('g0');
    expect(kept).toHaveLength(128);
    expect(kept[0]).toEqual({ id: 'g73', json: 'm73' });
    const big = new ReplayLog();
    for (let i = 0; i < 10; i++) big.add('x'.repeat(100_000));
    expect(big.since('g0').length).toBe(2);
    big.dispose();
    expect(big.since('g0')).toEqual([]);
    log.dispose();
  });
});
