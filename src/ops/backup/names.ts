import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Backup file names carry their own time and schema, `jarvis-20250102-034000Z-v14.db.gz` (UTC;
 * `-N` before `-v` when two are taken in the same second), so a listing sorts by age and a person
 * can tell which Jarvis can read a file without opening it.
 */

export interface BackupFile {
  name: string;
  path: string;
  takenAt: number;
  /** The schema version (highest applied migration) of the database in it. */
  schema: number;
  bytes: number;
  /** Permission bits (e.g. 0o600). */
  mode: number;
}

const NAME_RE = /^jarvis-(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})Z(?:-(\d+))?-v(\d+)\.db\.gz$/;

/** `20250102-034000Z`: sortable, no colons (safe in every file system and shell). */
export function fileStamp(at: number): string {
  const iso = new Date(at).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
}

export function backupName(at: number, schema: number, seq = 0): string {
  return `jarvis-${fileStamp(at)}${seq > 0 ? `-${seq}` : ''}-v${schema}.db.gz`;
}

export function parseBackupName(name: string): { takenAt: number; seq: number; schema: number } | undefined {
  const m = NAME_RE.exec(name);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, seq, schema] = m;
  const takenAt = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  return Number.isFinite(takenAt) ? { takenAt, seq: Number(seq ?? 0), schema: Number(schema) } : undefined;
}

/** The backups in `dir`, newest first; other files (temporary ones, a person's notes) are ignored. */
export function listBackups(dir: string): BackupFile[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: (BackupFile & { seq: number })[] = [];
  for (const name of names) {
    const parsed = parseBackupName(name);
    if (!parsed) continue;
    try {
      const st = statSync(join(dir, name));
      if (!st.isFile()) continue;
      out.push({ name, path: join(dir, name), takenAt: parsed.takenAt, seq: parsed.seq, schema: parsed.schema, bytes: st.size, mode: st.mode & 0o777 });
    } catch {
      // deleted between readdir and stat (rotation in another process)
    }
  }
  out.sort((a, b) => b.takenAt - a.takenAt || b.seq - a.seq);
  return out.map(({ seq: _seq, ...f }) => f);
}
