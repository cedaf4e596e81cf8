import type { Db } from './database.js';
import type { Clock } from '../core/clock.js';

/**
 * Raw updates a channel fetched, kept until the dispatcher's inbound ledger shows them claimed,
 * so nothing the network counts as delivered is lost to a shutdown or a crash.
 */
export class UpdateInbox {
  private readonly insert;
  private readonly forget;
  private readonly select;
  private readonly saveAll;

  constructor(private readonly db: Db, private readonly clock: Clock) {
    this.insert = db.prepare('INSERT OR IGNORE INTO update_inbox (channel, update_id, payload, received_at) VALUES (?, ?, ?, ?)');
    this.forget = db.prepare(
      `DELETE FROM update_inbox WHERE channel = ? AND EXISTS (
         SELECT 1 FROM inbound_ledger l WHERE l.channel = update_inbox.channel AND l.update_id = update_inbox.update_id)`,
    );
    this.select = db.prepare(
      `SELECT payload FROM update_inbox i WHERE channel = ? AND received_at >= ? AND NOT EXISTS (
         SELECT 1 FROM inbound_ledger l WHERE l.channel = i.channel AND l.update_id = i.update_id)
       ORDER BY received_at, CAST(update_id AS INTEGER)`,
    );
    this.saveAll = db.transaction((channel: string, items: { id: string; payload: unknown }[]) => {
      const now = this.clock.now();
      for (const it of items) this.insert.run(channel, it.id, JSON.stringify(it.payload), now);
    });
  }

  /** Keeps a fetched batch (and drops rows already handled, so the table stays small). An empty poll writes nothing. */
  save(channel: string, items: { id: string; payload: unknown }[]): void {
    if (items.length === 0) return;
    this.forget.run(channel);
    this.saveAll(channel, items);
  }

  /** Updates fetched within maxAgeMs and never claimed, oldest first. */
  unhandled<T>(channel: string, maxAgeMs: number): T[] {
    return (this.select.all(channel, this.clock.now() - maxAgeMs) as { payload: string }[]).map((r) => JSON.parse(r.payload) as T);
  }
}
