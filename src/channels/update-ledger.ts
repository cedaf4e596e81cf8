import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';

/**
 * Update ids already taken. Telegram re-sends updates it has not seen confirmed, e.g. after a
 * crash; claiming each id once keeps a redelivered message from being handled twice.
 */
export class UpdateLedger {
  private readonly insert;
  private readonly max;

  constructor(db: Db, private readonly clock: Clock) {
    this.insert = db.prepare('INSERT OR IGNORE INTO telegram_updates (update_id, at) VALUES (?, ?)');
    this.max = db.prepare('SELECT MAX(update_id) AS id FROM telegram_updates');
  }

  /** True the first time an id is seen. */
  claim(updateId: number): boolean {
    return this.insert.run(updateId, this.clock.now()).changes === 1;
  }

  lastHandled(): number | undefined {
    return (this.max.get() as { id: number | null }).id ?? undefined;
  }
}
