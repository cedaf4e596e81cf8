/**
 * The open list: `id:version,id:version,...` of every open position, as SQLite hands it over in
 * one string (`TradingStore.openList`), in the order of its index: by version, then id.
 * Why a string: a tick compares it with the last one and, equal, is done; different, one walk over
 * both finds what changed without a lookup per position. Versions only grow (every state move
 * bumps one), so a pair that left the list never comes back and nothing is missed.
 */

export interface ListDiff {
  /** Pairs in the new list only: positions that opened, or changed (their old pair is in `dropped`). */
  added: { id: number; version: number }[];
  /** Ids whose pair is in the old list only: positions that are no longer open, or changed. */
  dropped: number[];
}

/** One merge walk over both lists; correct in any order, and shortest in the index's order. */
export function diffOpenLists(prev: string, next: string): ListDiff {
  const diff: ListDiff = { added: [], dropped: [] };
  const a = new PairReader(prev);
  const b = new PairReader(next);
  let inA = a.next();
  let inB = b.next();
  while (inA || inB) {
    const order = !inA ? 1 : !inB ? -1 : a.version - b.version || a.id - b.id;
    if (order === 0) {
      inA = a.next();
      inB = b.next();
    } else if (order < 0) {
      diff.dropped.push(a.id);
      inA = a.next();
    } else {
      diff.added.push({ id: b.id, version: b.version });
      inB = b.next();
    }
  }
  return diff;
}

/** Reads the pairs one at a time, without splitting the string (10,000 small strings a tick otherwise). */
class PairReader {
  id = 0;
  version = 0;
  private at = 0;

  constructor(private readonly list: string) {}

  next(): boolean {
    const s = this.list;
    if (this.at >= s.length) return false;
    this.id = this.number(58 /* : */);
    this.version = this.number(44 /* , */);
    return true;
  }

  private number(end: number): number {
    const s = this.list;
    let n = 0;
    while (this.at < s.length) {
      const c = s.charCodeAt(this.at++);
      if (c === end) break;
      n = n * 10 + (c - 48);
    }
    return n;
  }
}
