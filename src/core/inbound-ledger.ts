import type { Db } from '../storage/database.js';
import type { Clock } from './clock.js';

/**
 * Inbound update ids already taken. Telegram re-sends what it has not seen confirmed (after a
 * crash, say); claiming each (channel, id) once keeps a redelivered message from being handled twice.
 */
export class InboundLedger {
  private readonly insert;

  constructor(db: Db, private readonly clock: Clock) {
    this.insert = db.prepare('INSERT OR IGNORE INTO inbound_ledger (channel, update_id, at) VALUES (?, ?, ?)');
  }

  /** True the first time an id is seen on a channel. */
  claim(channel: string, updateId: string): boolean {
    return this.insert.run(channel, updateId, this.clock.now()).changes === 1;
  }
}
