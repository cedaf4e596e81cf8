import type { TradingStore, WatchedRow } from './store.js';

/**
 * The open positions one monitor watches, kept between ticks.
 * Why: reading 10,000 full rows back costs about a whole tick's budget, and between two ticks
 * almost none of them change. Every state move bumps a position's `version`, so a tick reads
 * only [id, version] pairs (from an index) and refetches the rows that are new or changed. The
 * one write that does not bump the version, a trailing high rising, is the monitor's own, and it
 * tells the book through `raised`. The database stays the authority: claims are version-guarded,
 * so a stale row here can only miss a tick, never sell twice.
 */

/** Open positions grouped by mint: what one tick evaluates. */
export interface Book {
  rows: WatchedRow[];
  byMint: Map<string, WatchedRow[]>;
  mints: string[];
}

export function buildBook(rows: WatchedRow[]): Book {
  const byMint = new Map<string, WatchedRow[]>();
  for (const r of rows) {
    const list = byMint.get(r.mint);
    if (list) list.push(r);
    else byMint.set(r.mint, [r]);
  }
  return { rows, byMint, mints: [...byMint.keys()].sort() };
}

/** Beyond this many changed rows, one full read is cheaper than fetching them one by one. */
const REFETCH_LIMIT = 500;

export class WatchedBook {
  private byId = new Map<number, WatchedRow>();
  private book: Book = buildBook([]);

  constructor(private readonly store: TradingStore) {}

  /** The open positions now; rebuilds the grouping only when a row came, went or changed. */
  refresh(): Book {
    const open = this.store.openVersions();
    const stale: number[] = [];
    for (const [id, version] of open) {
      if (this.byId.get(id)?.version !== version) stale.push(id);
    }
    if (stale.length === 0 && open.length === this.byId.size) return this.book;
    if (stale.length > REFETCH_LIMIT) {
      this.byId = new Map(this.store.watched().map((r) => [r.id, r]));
    } else {
      const next = new Map<number, WatchedRow>();
      for (const [id] of open) {
        const row = this.byId.get(id);
        if (row) next.set(id, row);
      }
      for (const id of stale) {
        const row = this.store.watchedById(id);
        if (row) next.set(id, row);
        else next.delete(id); // closed or claimed since the id list was read
      }
      this.byId = next;
    }
    this.book = buildBook([...this.byId.values()]);
    return this.book;
  }

  /** The monitor wrote a new high for this position (after the write committed). */
  raised(id: number, high: number): void {
    const row = this.byId.get(id);
    if (row && row.high_price < high) row.high_price = high;
  }

  /** Drops what is cached, e.g. when a write of ours may not have committed. */
  forget(): void {
    this.byId.clear();
    this.book = buildBook([]);
  }
}
