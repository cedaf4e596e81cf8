import type { Db } from '../storage/database.js';
import { indexText, RECENCY_HALF_MS, RECENCY_WEIGHT } from './query.js';

/**
 * The memory tables (migration 013) and every statement over them. Every read and change names
 * the owner, so one person's id can never reach another's memory. Rows are not edited: an update
 * is a new row plus the old one invalidated and pointing at it (history), in one transaction.
 */

export type Tier = 'session' | 'short' | 'long';
export type Source = 'explicit' | 'extracted';

export interface Memory {
  id: number;
  /** `channel:userId`. */
  owner: string;
  text: string;
  tier: Tier;
  source: Source;
  createdAt: number;
  recalledAt: number | null;
  /** Null: never (long tier). */
  expiresAt: number | null;
  supersededBy: number | null;
  invalidatedAt: number | null;
}

export interface NewMemory {
  owner: string;
  text: string;
  tier: Tier;
  source: Source;
  expiresAt: number | null;
}

/** A memory found by full-text search, with its BM25 score (lower is better, as FTS5 gives it). */
export interface Ranked extends Memory {
  bm25: number;
}

interface Row {
  id: number;
  owner: string;
  text: string;
  tier: Tier;
  source: Source;
  created_at: number;
  recalled_at: number | null;
  expires_at: number | null;
  superseded_by: number | null;
  invalidated_at: number | null;
}

const toMemory = (r: Row): Memory => ({
  id: r.id,
  owner: r.owner,
  text: r.text,
  tier: r.tier,
  source: r.source,
  createdAt: r.created_at,
  recalledAt: r.recalled_at,
  expiresAt: r.expires_at,
  supersededBy: r.superseded_by,
  invalidatedAt: r.invalidated_at,
});

const LIVE = 'm.invalidated_at IS NULL AND (m.expires_at IS NULL OR m.expires_at > @now)';

export class MemoryStore {
  readonly sql;

  constructor(readonly db: Db) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO memories (owner, text, tier, source, created_at, expires_at)
         VALUES (@owner, @text, @tier, @source, @now, @expiresAt)`,
      ),
      index: db.prepare('INSERT INTO memories_fts (rowid, text) VALUES (?, ?)'),
      get: db.prepare(`SELECT * FROM memories m WHERE id = @id AND owner = @owner AND ${LIVE}`),
      list: db.prepare(`SELECT * FROM memories m WHERE owner = @owner AND ${LIVE} ORDER BY id DESC LIMIT @limit`),
      count: db.prepare(`SELECT COUNT(*) FROM memories m WHERE owner = @owner AND ${LIVE}`).pluck(),
      // The owner is matched inside the index (ftsMatch's prefixed words) and again on the row.
      search: db.prepare(
        `SELECT m.*, bm25(memories_fts) AS bm25
         FROM memories_fts JOIN memories m ON m.id = memories_fts.rowid
         WHERE memories_fts MATCH @match AND m.owner = @owner AND ${LIVE}
         ORDER BY bm25(memories_fts) * (1.0 + ${RECENCY_WEIGHT} * ${RECENCY_HALF_MS}.0 / (${RECENCY_HALF_MS}.0 + MAX(0, @now - m.created_at))), m.id DESC
         LIMIT @limit`,
      ),
      invalidate: db.prepare('UPDATE memories SET invalidated_at = @now, superseded_by = @by WHERE id = @id AND owner = @owner AND invalidated_at IS NULL'),
      // A memory and, through superseded_by, every older version of it.
      forget: db.prepare(
        `WITH RECURSIVE chain(id) AS (
           SELECT id FROM memories WHERE id = @id AND owner = @owner
           UNION SELECT m.id FROM memories m JOIN chain c ON m.superseded_by = c.id WHERE m.owner = @owner)
         DELETE FROM memories WHERE id IN (SELECT id FROM chain)`,
      ),
      clear: db.prepare('DELETE FROM memories WHERE owner = ?'),
      touch: db.prepare(
        `UPDATE memories SET recalled_at = MAX(COALESCE(recalled_at, 0), @at),
           expires_at = CASE WHEN tier = 'short' THEN MAX(expires_at, @at + @shortTtlMs) ELSE expires_at END
         WHERE id = @id AND invalidated_at IS NULL`,
      ),
      deleteExpired: db.prepare('DELETE FROM memories WHERE expires_at <= ?'),
      stats: db.prepare(`SELECT tier, COUNT(*) AS n FROM memories m WHERE ${LIVE} GROUP BY tier`),
      owners: db.prepare(`SELECT COUNT(DISTINCT owner) FROM memories m WHERE ${LIVE}`).pluck(),
    };
  }

  /** Inserts the memory and its row in the full-text index (the triggers only ever take rows out). */
  add(m: NewMemory, now: number): Memory {
    return this.db.transaction(() => {
      const id = Number(this.sql.insert.run({ ...m, now }).lastInsertRowid);
      this.sql.index.run(id, indexText(m.owner, m.text));
      return { id, ...m, createdAt: now, recalledAt: null, supersededBy: null, invalidatedAt: null };
    })();
  }

  /** The owner's memory `id` if it is live; undefined for anyone else's, an expired or an old version. */
  get(owner: string, id: number, now: number): Memory | undefined {
    const r = this.sql.get.get({ owner, id, now }) as Row | undefined;
    return r ? toMemory(r) : undefined;
  }

  /** Live memories, newest first. */
  list(owner: string, now: number, limit: number): Memory[] {
    return (this.sql.list.all({ owner, now, limit }) as Row[]).map(toMemory);
  }

  count(owner: string, now: number): number {
    return this.sql.count.get({ owner, now }) as number;
  }

  /** Live memories matching `match` (from ftsMatch), best first. */
  search(owner: string, match: string, now: number, limit: number): Ranked[] {
    return (this.sql.search.all({ owner, match, now, limit }) as (Row & { bm25: number })[]).map((r) => ({ ...toMemory(r), bm25: r.bm25 }));
  }

  /**
   * Replaces live memory `oldId` with a new row, keeping the old one as history. Undefined (and
   * nothing written) when it is not the owner's or no longer live: someone changed it meanwhile.
   */
  supersede(oldId: number, m: NewMemory, now: number): Memory | undefined {
    return this.db.transaction(() => {
      if (!this.get(m.owner, oldId, now)) return undefined;
      const next = this.add(m, now);
      this.sql.invalidate.run({ id: oldId, owner: m.owner, now, by: next.id });
      return next;
    })();
  }

  /** Marks a live memory as no longer true (kept as history, pointing at `by` if another says it now); false when there was none. */
  invalidate(owner: string, id: number, now: number, by: number | null = null): boolean {
    return this.db.transaction(() => !!this.get(owner, id, now) && this.sql.invalidate.run({ id, owner, now, by }).changes === 1)();
  }

  /** Deletes a live memory and its history for good; the memory, or undefined when it was not there. */
  forget(owner: string, id: number, now: number): Memory | undefined {
    return this.db.transaction(() => {
      const m = this.get(owner, id, now);
      if (m) this.sql.forget.run({ owner, id });
      return m;
    })();
  }

  /** Deletes everything kept about `owner`, history included; returns how many were live. */
  clear(owner: string, now: number): number {
    return this.db.transaction(() => {
      const live = this.count(owner, now);
      this.sql.clear.run(owner);
      return live;
    })();
  }

  /** Records recalls (one transaction): last recalled, and a short memory's expiry pushed out. */
  touch(recalls: ReadonlyMap<number, number>, shortTtlMs: number): number {
    return this.db.transaction(() => {
      let n = 0;
      for (const [id, at] of recalls) n += this.sql.touch.run({ id, at, shortTtlMs }).changes;
      return n;
    })();
  }

  deleteExpired(now: number): number {
    return this.sql.deleteExpired.run(now).changes;
  }

  stats(now: number): { tiers: Record<Tier, number>; owners: number } {
    const tiers: Record<Tier, number> = { session: 0, short: 0, long: 0 };
    for (const r of this.sql.stats.all({ now }) as { tier: Tier; n: number }[]) tiers[r.tier] = r.n;
    return { tiers, owners: this.sql.owners.get({ now }) as number };
  }
}
