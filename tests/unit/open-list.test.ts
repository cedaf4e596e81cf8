import { describe, expect, it } from 'vitest';
import { diffOpenLists } from '../../src/trading/open-list.js';

/** What changed between two open lists (`id:version,...`), whatever their order. */
describe('diffing open lists', () => {
  it('finds nothing between equal lists, and everything against an empty one', () => {
    expect(diffOpenLists('1:0,2:0', '1:0,2:0')).toEqual({ added: [], dropped: [] });
    expect(diffOpenLists('', '12:3,7:40')).toEqual({ added: [{ id: 12, version: 3 }, { id: 7, version: 40 }], dropped: [] });
    expect(diffOpenLists('12:3,7:40', '')).toEqual({ added: [], dropped: [12, 7] });
  });

  it('sees a position that changed (both pairs), one that left and one that came', () => {
    // Index order is by version, then id: the edited position 2 moves to the end.
    const d = diffOpenLists('1:1,2:1,3:1,9:4', '1:1,3:1,2:2,10:0'.split(',').sort(byIndex).join(','));
    expect(d.added.sort((x, y) => x.id - y.id)).toEqual([{ id: 2, version: 2 }, { id: 10, version: 0 }]);
    expect(d.dropped.sort((x, y) => x - y)).toEqual([2, 9]);
  });

  it('dropping then adding what it reports turns the old list into the new one, in any order', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 16807) % 2147483647) % n;
    const shuffle = <T>(xs: T[]): T[] => xs.map((x) => [rand(1000), x] as const).sort((a, b) => a[0] - b[0]).map(([, x]) => x);
    for (let round = 0; round < 300; round++) {
      const old = new Map<number, number>();
      for (let i = 0; i < rand(30); i++) old.set(1 + rand(50), rand(5));
      const now = new Map(old);
      for (let i = 0; i < rand(6); i++) {
        const id = 1 + rand(60);
        if (rand(3) === 0) now.delete(id);
        else now.set(id, (now.get(id) ?? 0) + 1 + rand(3));
      }
      const text = (m: Map<number, number>, sorted: boolean) => {
        const pairs = [...m].map(([id, v]) => `${id}:${v}`);
        return (sorted ? pairs.sort(byIndex) : shuffle(pairs)).join(',');
      };
      const sorted = round % 2 === 0;
      const d = diffOpenLists(text(old, sorted), text(now, sorted));
      const applied = new Map(old);
      for (const id of d.dropped) applied.delete(id);
      for (const p of d.added) applied.set(p.id, p.version);
      expect(applied).toEqual(now);
      // In index order it reports exactly the changes.
      if (sorted) expect(d.added.length).toBe([...now].filter(([id, v]) => old.get(id) !== v).length);
    }
  });
});

function byIndex(a: string, b: string): number {
  const [ia, va] = a.split(':').map(Number) as [number, number];
  const [ib, vb] = b.split(':').map(Number) as [number, number];
  return va - vb || ia - ib;
}
