import type { Db } from './database.js';

/**
 * Notices commits made by another connection to the same file (`jarvis chat` beside the daemon),
 * through SQLite's data_version, checked at most every `everyMs` so the hot path stays cheap.
 */
export class ChangeWatch {
  private version: number;
  private checkedAt = performance.now();

  constructor(private readonly db: Db, private readonly everyMs = 1000) {
    this.version = this.read();
  }

  /** True when another connection has committed since the last time this returned true. */
  changed(): boolean {
    const now = performance.now();
    if (now - this.checkedAt < this.everyMs) return false;
    this.checkedAt = now;
    const v = this.read();
    if (v === this.version) return false;
    this.version = v;
    return true;
  }

  private read(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }
}
