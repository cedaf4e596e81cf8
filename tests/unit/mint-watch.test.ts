import { describe, expect, it } from 'vitest';
import { decideMint, decidePosition, watchMint } from '../../src/trading/mint-watch.js';
import type { WatchedRow } from '../../src/trading/store.js';
import { levelPrice, stopBelow, type TpLeg } from '../../src/trading/tpsl.js';

/** The monitor's fast path must decide exactly what `evaluate` decides, row by row. */

/** mulberry32: the same cases every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let nextId = 0;
function row(entry: number, high: number, slPct: number, trailing: boolean, tp: TpLeg[]): WatchedRow {
  const id = ++nextId;
  return { id, version: 1, mint: 'M', entry_price: entry, high_price: high, sl_pct: slPct, sl_trailing: trailing ? 1 : 0, tp: JSON.stringify(tp), retry_at: null, exit: null };
}

/** What the monitor needs from a tick: the reference applied to every row, keeping those that fire or rose. */
const reference = (rows: WatchedRow[], price: number) => rows.map((r) => decidePosition(r, price)).filter((d) => d.trigger !== undefined || d.rose);

describe('deciding a mint through its price band', () => {
  it('agrees with evaluate on random books and prices, edges included', () => {
    const r = rng(42);
    for (let round = 0; round < 200; round++) {
      const rows: WatchedRow[] = [];
      for (let i = 0; i < 20; i++) {
        const entry = 10 ** (-8 + 5 * r());
        const legs: TpLeg[] = [];
        let at = 0;
        for (let k = 0, n = Math.floor(r() * 4); k < n; k++) legs.push({ at: (at += 10 + Math.round(r() * 100)), sell: 25, done: r() < 0.3 });
        rows.push(row(entry, entry * (1 + 0.3 * r()), 5 + Math.round(r() * 40), r() < 0.4, legs));
      }
      const w = watchMint(rows);
      const pick = rows[Math.floor(r() * rows.length)]!;
      const legs = JSON.parse(pick.tp) as TpLeg[];
      const prices = [
        pick.entry_price * (0.4 + 2 * r()),
        pick.high_price,
        // Exactly on the stop (fixed and trailing bases) and exactly on a level: the boundaries evaluate uses.
        stopBelow(pick.entry_price, pick.sl_pct),
        stopBelow(Math.max(pick.entry_price, pick.high_price), pick.sl_pct),
        ...legs.map((l) => levelPrice(pick.entry_price, l.at)),
        0,
        -1,
        Number.NaN,
        Number.POSITIVE_INFINITY,
      ];
      for (const price of prices) expect(decideMint(w, price)).toEqual(reference(rows, price));
    }
  });

  it('reads the high from the row, so a high raised after the watch was built moves a trailing stop', () => {
    const r = row(1, 1, 10, true, [{ at: 500, sell: 100, done: false }]);
    const w = watchMint([r]);
    expect(decideMint(w, 1.85)).toEqual([expect.objectContaining({ id: r.id, rose: true, high: 1.85 })]);
    r.high_price = 2; // what WatchedBook.raised does once the new high is committed
    expect(decideMint(w, 1.85)).toEqual([]);
    expect(decideMint(w, 1.79)[0]!.trigger).toMatchObject({ kind: 'sl', trailing: true });
  });

  it('a ladder with every level done never fires a take-profit, however high the price', () => {
    const r = row(1, 1, 20, false, [{ at: 50, sell: 100, done: true }]);
    const [d] = decideMint(watchMint([r]), 100);
    expect(d).toMatchObject({ rose: true, high: 100 });
    expect(d!.trigger).toBeUndefined();
  });
});
