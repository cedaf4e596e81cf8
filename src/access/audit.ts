import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';
import { truncate } from '../core/render.js';

export interface AuditEntry {
  id: number;
  at: number;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  detail: string | null;
}

export interface AuditInput {
  actor: string;
  action: string;
  target?: string;
  outcome: 'ok' | 'denied' | 'refused' | 'error' | string;
  detail?: string;
}

/** Append-only record of who did what; pruned only by age. */
export class AuditLog {
  private readonly insert;
  constructor(private readonly db: Db, private readonly clock: Clock) {
    this.insert = db.prepare('INSERT INTO audit_log (at, actor, action, target, outcome, detail) VALUES (?, ?, ?, ?, ?, ?)');
  }

  record(e: AuditInput): void {
    this.insert.run(this.clock.now(), e.actor, e.action, e.target ?? null, e.outcome, e.detail === undefined ? null : truncate(e.detail, 500));
  }

  recent(limit: number): AuditEntry[] {
    return this.db.prepare('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit) as AuditEntry[];
  }

  prune(olderThanMs: number): number {
    return this.db.prepare('DELETE FROM audit_log WHERE at < ?').run(this.clock.now() - olderThanMs).changes;
  }
}
