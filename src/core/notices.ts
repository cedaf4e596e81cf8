import type { Db } from '../storage/database.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Outbound } from './message.js';

/**
 * Messages nobody asked for (fills, alerts). A module enqueues a notice inside the same SQLite
 * transaction as the change it reports, so a crash cannot keep the change and lose the message;
 * delivery happens afterwards, is retried with backoff, and marks each notice sent once.
 */

export type NoticeSender = (userKey: string, chatId: string, out: Outbound) => Promise<void>;

export interface NoticeInput {
  userKey: string;
  chatId: string;
  out: Outbound;
  /** A notice with a key already used is dropped (e.g. one alert per exit, one per price gap). */
  dedupeKey?: string;
}

const MAX_ATTEMPTS = 8;

export class Notices {
  private sender?: NoticeSender;
  private running?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly sql;

  constructor(private readonly db: Db, private readonly clock: Clock, private readonly log: Logger) {
    this.sql = {
      insert: db.prepare(
        `INSERT INTO notices (user_key, chat_id, body, dedupe_key, created_at, next_attempt_at)
         VALUES (@userKey, @chatId, @body, @dedupeKey, @now, @now) ON CONFLICT(dedupe_key) DO NOTHING`,
      ),
      due: db.prepare('SELECT id, user_key, chat_id, body, attempts FROM notices WHERE sent_at IS NULL AND failed IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT 50'),
      next: db.prepare('SELECT MIN(next_attempt_at) AS at FROM notices WHERE sent_at IS NULL AND failed IS NULL'),
      sent: db.prepare('UPDATE notices SET sent_at = ?, attempts = attempts + 1 WHERE id = ? AND sent_at IS NULL'),
      retry: db.prepare('UPDATE notices SET attempts = attempts + 1, next_attempt_at = ?, failed = ? WHERE id = ?'),
      prune: db.prepare('DELETE FROM notices WHERE (sent_at IS NOT NULL OR failed IS NOT NULL) AND created_at < ?'),
    };
  }

  /** Queues a notice; call inside the transaction that makes the change it reports. False if deduplicated. */
  enqueue(n: NoticeInput): boolean {
    const r = this.sql.insert.run({ userKey: n.userKey, chatId: n.chatId, body: JSON.stringify(n.out), dedupeKey: n.dedupeKey ?? null, now: this.clock.now() });
    return r.changes === 1;
  }

  /** Where notices go; set once the channels exist. Delivers anything left from before a restart. */
  start(sender: NoticeSender): void {
    this.sender = sender;
    this.closed = false;
    this.kick();
  }

  /** Delivers soon, without waiting (after a commit that enqueued something). */
  kick(): void {
    if (this.closed || !this.sender) return;
    void this.deliver();
  }

  /** Sends every due notice once; failures are retried later with backoff. Never throws. */
  deliver(): Promise<void> {
    this.running ??= this.deliverDue().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async deliverDue(): Promise<void> {
    const send = this.sender;
    if (!send) return;
    try {
      for (;;) {
        if (this.closed || !this.db.open) return;
        const rows = this.sql.due.all(this.clock.now()) as { id: number; user_key: string; chat_id: string; body: string; attempts: number }[];
        if (rows.length === 0) break;
        for (const r of rows) {
          if (this.closed || !this.db.open) return;
          try {
            await send(r.user_key, r.chat_id, JSON.parse(r.body) as Outbound);
            this.sql.sent.run(this.clock.now(), r.id);
          } catch (err) {
            const attempts = r.attempts + 1;
            const giveUp = attempts >= MAX_ATTEMPTS;
            this.log.warn({ err, notice: r.id, attempts }, giveUp ? 'notice could not be delivered; giving up' : 'notice delivery failed; will retry');
            this.sql.retry.run(this.clock.now() + Math.min(600_000, 2_000 * 2 ** attempts), giveUp ? 'undeliverable' : null, r.id);
          }
        }
      }
      this.schedule();
    } catch (err) {
      this.log.error({ err }, 'notice delivery stopped');
    }
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (this.closed || !this.db.open) return;
    const at = (this.sql.next.get() as { at: number | null }).at;
    if (at === null) return;
    this.timer = setTimeout(() => this.kick(), Math.max(50, at - this.clock.now())).unref();
  }

  /** Notices not yet sent (for status and tests). */
  pending(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM notices WHERE sent_at IS NULL AND failed IS NULL').get() as { n: number }).n;
  }

  prune(olderThanMs: number): number {
    return this.sql.prune.run(this.clock.now() - olderThanMs).changes;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
