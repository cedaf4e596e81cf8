import type { Db } from '../../storage/database.js';
import { schemaVersion } from '../../storage/migrations.js';

/**
 * What a database file holds, read without changing it: whether SQLite finds it sound, its
 * schema version and rows per table. Backups are checked with it before they are kept, restores
 * before they replace anything.
 */

export interface TableRows {
  table: string;
  rows: number;
}

export interface DatabaseReport {
  /** `PRAGMA integrity_check` (or quick_check): ['ok'] when sound, else SQLite's findings. */
  integrity: string[];
  hasMigrations: boolean;
  schema: number;
  tables: TableRows[];
  /** When the backup in it was taken (kv `backup.taken_at`), if it is a backup. */
  takenAt?: number;
}

export const TAKEN_AT_KEY = 'backup.taken_at';

/** Runs on an open connection (the backup's own copy, or a restore candidate). */
export function inspectDatabase(db: Db, opts: { quick?: boolean; counts?: boolean } = {}): DatabaseReport {
  const integrity = (db.pragma(opts.quick ? 'quick_check' : 'integrity_check') as Record<string, string>[]).map((r) => String(Object.values(r)[0]));
  const hasTable = (name: string) => !!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
  const hasMigrations = hasTable('schema_migrations');
  const tables: TableRows[] = [];
  if (opts.counts !== false) {
    const all = db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string; sql: string | null }[];
    // A virtual table (full-text search) is counted; the shadow tables that store it are not listed.
    const virtual = all.filter((t) => /^CREATE VIRTUAL TABLE/i.test(t.sql ?? '')).map((t) => `${t.name}_`);
    const names = all.map((t) => t.name).filter((n) => !virtual.some((v) => n.startsWith(v)));
    for (const table of names) {
      const { n } = db.prepare(`SELECT COUNT(*) AS n FROM "${table.replace(/"/g, '""')}"`).get() as { n: number };
      tables.push({ table, rows: n });
    }
  }
  let takenAt: number | undefined;
  if (hasTable('kv')) {
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get(TAKEN_AT_KEY) as { value: string } | undefined;
    const t = row ? Number(row.value) : NaN;
    if (Number.isFinite(t)) takenAt = t;
  }
  return { integrity, hasMigrations, schema: hasMigrations ? schemaVersion(db) : 0, tables, takenAt };
}
