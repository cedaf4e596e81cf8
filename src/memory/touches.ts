import type { Logger } from '../core/logger.js';
import type { MemoryStore } from './store.js';

/**
 * Recalls waiting to be written back. A chat message recalls several memories; writing each one
 * at once would put a write transaction in every reply. Instead the latest recall time per memory
 * is kept here and written in one transaction every few seconds, by the cleanup job and at close.
 * A crash loses at most one interval of "last recalled", which only delays a short memory's expiry.
 */
export class Touches {
  private pending = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: MemoryStore,
    private readonly shortTtlMs: number,
    private readonly log: Logger,
  ) {}

  add(ids: readonly number[], at: number): void {
    for (const id of ids) this.pending.set(id, Math.max(at, this.pending.get(id) ?? 0));
  }

  /** Memories recalled since the last flush. */
  get size(): number {
    return this.pending.size;
  }

  /** Writes what is pending in one transaction; returns how many rows changed. */
  flush(): number {
    if (this.pending.size === 0) return 0;
    const batch = this.pending;
    this.pending = new Map();
    try {
      return this.store.touch(batch, this.shortTtlMs);
    } catch (err) {
      // Kept for the next flush (merged with newer recalls), unless the database is gone.
      if (this.store.db.open) for (const [id, at] of batch) this.add([id], at);
      throw err;
    }
  }

  start(everyMs: number): void {
    this.timer ??= setInterval(() => {
      try {
        this.flush();
      } catch (err) {
        this.log.warn({ err }, 'could not write memory recalls; will retry');
      }
    }, everyMs);
    this.timer.unref();
  }

  /** Stops the timer and writes what is left. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (!this.store.db.open) return;
    try {
      this.flush();
    } catch (err) {
      this.log.warn({ err, lost: this.pending.size }, 'could not write memory recalls at close');
    }
  }
}
