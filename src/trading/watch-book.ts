import { watchMint, type MintWatch } from './mint-watch.js';
import { diffOpenLists } from './open-list.js';
import type { TradingStore, WatchedRow } from './store.js';

/**
 * The open positions one monitor watches, kept between ticks.
 * Why: reading 10,000 full rows back costs several ticks' budget, and between two ticks almost
 * none of them change. Every state move bumps a position's `version`, so a tick reads only the
 * open list ([id, version] pairs from an index, in one string: see open-list.ts); when it differs
 * from the last one, the book refetches the rows that are new or changed and regroups only their
 * mints. The one write that does not bump the version, a trailing high rising, is the monitor's
 * own, and it tells the book through `raised`. The database stays the authority: claims are
 * version-guarded, so a stale row here can only miss a tick, never sell twice.
 */

/** Open positions grouped by mint: what one tick evaluates. Never changed once built, only replaced. */
export interface Book {
  positions: number;
  byMint: ReadonlyMap<string, MintWatch>;
  mints: readonly string[];
  /** Positions whose failed exit waits for its retry time (a tick checks only these). */
  retrying: readonly WatchedRow[];
}

const waitsForRetry = (r: WatchedRow): boolean => r.exit !== null && r.retry_at !== null;

export function buildBook(rows: readonly WatchedRow[]): Book {
  const groups = new Map<string, WatchedRow[]>();
  for (const r of rows) {
    const list = groups.get(r.mint);
    if (list) list.push(r);
    else groups.set(r.mint, [r]);
  }
  const byMint = new Map<string, MintWatch>();
  for (const [mint, list] of groups) byMint.set(mint, watchMint(list));
  return { positions: rows.length, byMint, mints: [...byMint.keys()].sort(), retrying: rows.filter(waitsForRetry) };
}

/** Beyond this many changed rows, one full read is cheaper than fetching them one by one. */
const REFETCH_LIMIT = 500;

export class WatchedBook {
  private byId = new Map<number, WatchedRow>();
  private book: Book = buildBook([]);
  /** The open list the book was last brought up to (nothing open at first). */
  private seen = '';

  constructor(private readonly store: TradingStore) {}

  /** The open positions now; regroups only the mints where a row came, went or changed. */
  refresh(): Book {
    const list = this.store.openList();
    if (list === this.seen) return this.book;
    const { added, dropped } = diffOpenLists(this.seen, list);
    this.seen = list;
    if (added.length > REFETCH_LIMIT) {
      this.byId = new Map(this.store.watched().map((r) => [r.id, r]));
      this.book = buildBook([...this.byId.values()]);
      return this.book;
    }
    const touched = new Set<string>();
    const fresh: WatchedRow[] = [];
    for (const id of dropped) {
      const row = this.byId.get(id);
      if (row && this.byId.delete(id)) touched.add(row.mint);
    }
    for (const { id } of added) {
      // Missing: closed or claimed since the list was read. Its version moved, so the next list differs and says so.
      const row = this.store.watchedById(id);
      if (!row) continue;
      const old = this.byId.get(id);
      if (old) touched.add(old.mint);
      this.byId.set(id, row);
      touched.add(row.mint);
      fresh.push(row);
    }
    this.book = this.regroup(touched, fresh);
    return this.book;
  }

  /** The last book with the touched mints rebuilt from what is current; every other mint keeps its MintWatch. */
  private regroup(touched: ReadonlySet<string>, fresh: readonly WatchedRow[]): Book {
    const last = this.book;
    if (touched.size === 0) return last;
    const current = (r: WatchedRow): boolean => this.byId.get(r.id) === r;
    const byMint = new Map(last.byMint);
    let reshaped = false; // a mint came or went, so the sorted list changes
    for (const mint of touched) {
      const rows = (last.byMint.get(mint)?.rows ?? []).filter(current);
      for (const r of fresh) if (r.mint === mint && current(r)) rows.push(r);
      if (byMint.has(mint) !== rows.length > 0) reshaped = true;
      if (rows.length > 0) byMint.set(mint, watchMint(rows));
      else byMint.delete(mint);
    }
    const retrying = last.retrying.filter(current);
    for (const r of fresh) if (waitsForRetry(r) && current(r)) retrying.push(r);
    return { positions: this.byId.size, byMint, mints: reshaped ? [...byMint.keys()].sort() : last.mints, retrying };
  }

  /** The monitor wrote a new high for this position (after the write committed). */
  raised(id: number, high: number): void {
    const row = this.byId.get(id);
    if (row && row.high_price < high) row.high_price = high;
  }

  /** Drops what is cached, e.g. when a write of ours may not have committed. */
  forget(): void {
    this.seen = '';
    this.byId.clear();
    this.book = buildBook([]);
  }
}
