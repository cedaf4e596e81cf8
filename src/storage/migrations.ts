import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './database.js';

/**
 * Forward-only migrations from migrations/NNN_name.sql. Each runs in its own transaction and its
 * checksum is recorded; an applied file that was edited afterwards stops start-up, naming the file.
 */

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const FILE_RE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

export function readMigrations(dir: string): MigrationFile[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
  const out: MigrationFile[] = [];
  for (const file of files) {
    const m = FILE_RE.exec(file);
    if (!m) throw new MigrationError(`migration file name ${file} is not NNN_name.sql`);
    const sql = readFileSync(join(dir, file), 'utf8');
    const version = Number(m[1]);
    if (out.some((x) => x.version === version)) throw new MigrationError(`two migrations share version ${version}`);
    out.push({ version, name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return out;
}

export interface MigrationReport {
  applied: string[];
  current: number;
}

export function migrate(db: Db, files: MigrationFile[], now: number = Date.now()): MigrationReport {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Map(
    (db.prepare('SELECT version, name, checksum FROM schema_migrations').all() as { version: number; name: string; checksum: string }[]).map(
      (r) => [r.version, r],
    ),
  );
  const known = new Set(files.map((f) => f.version));
  const unknown = [...applied.keys()].filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new MigrationError(
      `the database has migration ${Math.max(...unknown)} which this version of Jarvis does not know: it was written by a newer Jarvis; upgrade Jarvis or restore an older backup`,
    );
  }
  for (const f of files) {
    const row = applied.get(f.version);
    if (row && row.checksum !== f.checksum) {
      throw new MigrationError(
        `migration ${f.name} was edited after it was applied (checksum differs); restore the original file and add a new migration instead`,
      );
    }
  }
  const done: string[] = [];
  const record = db.prepare('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)');
  for (const f of files) {
    if (applied.has(f.version)) continue;
    const apply = db.transaction(() => {
      db.exec(f.sql);
      record.run(f.version, f.name, f.checksum, now);
    });
    try {
      apply();
    } catch (err) {
      throw new MigrationError(`migration ${f.name} failed: ${(err as Error).message}`);
    }
    done.push(f.name);
  }
  return { applied: done, current: files.length ? Math.max(...files.map((f) => f.version)) : 0 };
}

export function schemaVersion(db: Db): number {
  const row = db.prepare("SELECT name FROM sqlite_master WHERE type='table' AND name='schema_migrations'").get();
  if (!row) return 0;
  return (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
}
