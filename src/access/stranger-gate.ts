import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';

/** At most one polite denial per interval per stranger, so two bots cannot loop on each other. */
export class StrangerGate {
  readonly shouldReply: (subject: string) => boolean;

  constructor(db: Db, intervalMs: number, clock: Clock) {
    const select = db.prepare('SELECT last_reply_at FROM stranger_denials WHERE subject = ?');
    const insert = db.prepare('INSERT INTO stranger_denials (subject, last_reply_at, attempts) VALUES (?, ?, 1)');
    const replied = db.prepare('UPDATE stranger_denials SET last_reply_at = ?, attempts = attempts + 1 WHERE subject = ?');
    const silent = db.prepare('UPDATE stranger_denials SET attempts = attempts + 1 WHERE subject = ?');
    /** Records the attempt; true when this one should get a reply. */
    this.shouldReply = db.transaction((subject: string): boolean => {
      const now = clock.now();
      const row = select.get(subject) as { last_reply_at: number } | undefined;
      if (!row) {
        insert.run(subject, now);
        return true;
      }
      if (now - row.last_reply_at >= intervalMs) {
        replied.run(now, subject);
        return true;
      }
      silent.run(subject);
      return false;
    });
  }
}
