import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { Db } from '../../storage/database.js';

/**
 * Is the database open in another process (the daemon, `jarvis chat`, a `jarvis backup`)?
 * Asked of SQLite itself: a connection in EXCLUSIVE locking mode can only begin a write
 * transaction when no other connection has the file open (in WAL mode each one holds a shared
 * lock for as long as it is open). The operating system drops those locks when a process dies,
 * SIGKILL included, so the answer is never stale, unlike a pid file (pids are reused) or the
 * /healthz port (HTTP may be off or moved). It also catches `jarvis chat`, which a restore would
 * break just as badly as the daemon.
 */

export type ExclusiveOpen = { db: Db } | { busy: true };

/** Opens `path` holding SQLite's exclusive lock until closed, or says another process has it open. */
export function openExclusive(path: string): ExclusiveOpen {
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT'); // the lock stays: EXCLUSIVE locking mode keeps it until the connection closes
    return { db };
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY' || (err as { code?: string }).code === 'SQLITE_LOCKED') return { busy: true };
    throw err;
  }
}

/** True when another process has the database open. A file that is missing, or not a database, is not in use. */
export function databaseInUse(path: string): boolean {
  if (!existsSync(path)) return false;
  let r: ExclusiveOpen;
  try {
    r = openExclusive(path);
  } catch {
    return false; // not a database at all: nothing can be running on it
  }
  if ('busy' in r) return true;
  r.db.close();
  return false;
}
