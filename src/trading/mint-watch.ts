import type { WatchedRow } from './store.js';
import { evaluate, firstTakeProfit, stopBelow, type TpLeg, type Trigger } from './tpsl.js';

/**
 * One mint's open positions, ready to be decided at a new price every tick.
 * Why: a tick decides every open position and nearly none of them fire. Calling `evaluate` on
 * each (a few objects per position, 10,000 times a tick, over rows spread across the heap) was
 * the largest part of a tick. Here each position keeps, in arrays of numbers, the two prices
 * between which `evaluate` cannot fire: its stop and its first take-profit level still to do.
 * A price inside that band only needs the high compared; any other price goes to `evaluate`
 * itself, so every trigger is still `evaluate`'s own decision (tests/unit/mint-watch.test.ts).
 */

export interface Decision {
  id: number;
  version: number;
  /** A sale already waiting for its retry (JSON), if any. */
  pending: string | null;
  trigger?: Trigger;
  high: number;
  /** The price set a new high for this position. */
  rose: boolean;
  price: number;
}

/** Per position (same index as `rows`): plain arrays of numbers, which V8 keeps unboxed and allocates far faster than typed arrays. */
export interface MintWatch {
  rows: readonly WatchedRow[];
  entry: number[];
  slPct: number[];
  trailing: boolean[];
  /** The lowest price at which a take-profit level still to do fires (Infinity when none is left). */
  firstTp: number[];
}

/** Rows never change in place except their high (a state move bumps the version: a new row object). */
export function watchMint(rows: readonly WatchedRow[]): MintWatch {
  const w: MintWatch = { rows, entry: [], slPct: [], trailing: [], firstTp: [] };
  for (const r of rows) {
    w.entry.push(r.entry_price);
    w.slPct.push(r.sl_pct);
    w.trailing.push(r.sl_trailing === 1);
    w.firstTp.push(firstTakeProfit(r.entry_price, legs(r.tp)));
  }
  return w;
}

/** The positions of one mint that fire or set a new high at this price (SOL per token); the others need nothing. */
export function decideMint(w: MintWatch, priceSol: number): Decision[] {
  const out: Decision[] = [];
  const { rows, entry, slPct, trailing, firstTp } = w;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const high = r.high_price;
    // The same stop `evaluate` computes (stopPrice); `> 0` and `< firstTp` also keep out a price that is not a number.
    const stop = stopBelow(trailing[i] ? Math.max(entry[i]!, high) : entry[i]!, slPct[i]!);
    if (priceSol > stop && priceSol > 0 && priceSol < firstTp[i]!) {
      if (priceSol > high) out.push({ id: r.id, version: r.version, pending: r.exit, high: priceSol, rose: true, price: priceSol });
      continue;
    }
    const d = decidePosition(r, priceSol);
    if (d.trigger || d.rose) out.push(d);
  }
  return out;
}

/** One position at one price, through `evaluate`: the reference the band above must agree with. */
export function decidePosition(r: WatchedRow, priceSol: number): Decision {
  const { trigger, high } = evaluate({ id: r.id, entryPrice: r.entry_price, highPrice: r.high_price, plan: { tp: legs(r.tp), slPct: r.sl_pct, trailing: r.sl_trailing === 1 } }, priceSol);
  return { id: r.id, version: r.version, pending: r.exit, trigger, high, rose: high > r.high_price, price: priceSol };
}

/** Many positions share a ladder (people pick round levels): parse each distinct one once. */
const planCache = new Map<string, TpLeg[]>();
function legs(json: string): TpLeg[] {
  let l = planCache.get(json);
  if (!l) {
    l = JSON.parse(json) as TpLeg[];
    if (planCache.size > 10_000) planCache.clear();
    planCache.set(json, l);
  }
  return l;
}
