import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { MigrationError, migrate, type MigrationFile } from '../../storage/migrations.js';
import { copyFile, fileKind, gunzipFile, syncDir } from './compress.js';
import { databaseInUse, openExclusive } from './db-in-use.js';
import { BackupError, failureReason, removeQuietly } from './errors.js';
import { inspectDatabase, type TableRows } from './inspect.js';
import { fileStamp, parseBackupName } from './names.js';

/**
 * `jarvis restore FILE`, with Jarvis stopped. The file is unpacked next to the database and
 * checked there (a SQLite file, integrity_check ok, a Jarvis schema no newer than this build),
 * brought up to date with the pending migrations, and only then swapped in. The database it
 * replaces is kept beside it as `jarvis.db.before-restore-<time>`, its WAL folded in first, so
 * a restore can itself be undone by hand.
 */

export interface RestoreReport {
  source: string;
  /** When the backup was taken: recorded inside it, else read from its file name. */
  takenAt?: number;
  /** Schema version of the backup, and after the pending migrations ran. */
  schemaBefore: number;
  schemaAfter: number;
  applied: string[];
  /** Where the database that was replaced now is (absent when there was none). */
  keptAside?: string;
  tables: TableRows[];
}

export interface RestoreOptions {
  dbPath: string;
  migrations: MigrationFile[];
  clock: Clock;
}

export const RUNNING_MESSAGE =
  'Jarvis is running: the database is open in another process (the daemon or jarvis chat). Stop it first (pm2 stop jarvis, or Ctrl-C), then run the restore again.';

export async function restoreBackup(file: string, opts: RestoreOptions): Promise<RestoreReport> {
  const { dbPath, migrations, clock } = opts;
  try {
    if (!statSync(file).isFile()) throw new Error('not a file');
  } catch (err) {
    throw new BackupError(`Cannot read ${file}: ${(err as { code?: string }).code === 'ENOENT' ? 'no such file' : failureReason(err)}.`, { cause: err });
  }
  if (databaseInUse(dbPath)) throw new BackupError(RUNNING_MESSAGE);
  mkdirSync(dirname(dbPath), { recursive: true, mode: 0o700 });
  const candidate = join(dirname(dbPath), `.restore-${process.pid}-${randomBytes(4).toString('hex')}.db`);
  try {
    await unpack(file, candidate);
    const report = prepare(candidate, file, migrations, clock.now());
    if (databaseInUse(dbPath)) throw new BackupError(RUNNING_MESSAGE);
    const keptAside = existsSync(dbPath) ? setAside(dbPath, clock.now()) : undefined;
    try {
      renameSync(candidate, dbPath);
    } catch (err) {
      if (keptAside) renameSync(keptAside, dbPath);
      throw new BackupError(`The restore failed while putting the database in place: ${failureReason(err)}; the previous database is unchanged.`, { cause: err });
    }
    chmodSync(dbPath, 0o600);
    await syncDir(dirname(dbPath));
    return { ...report, keptAside };
  } finally {
    removeQuietly([candidate, `${candidate}-journal`, `${candidate}-wal`, `${candidate}-shm`]);
  }
}

async function unpack(file: string, dest: string): Promise<void> {
  const kind = await fileKind(file).catch((err) => {
    throw new BackupError(`Cannot read ${file}: ${failureReason(err)}.`, { cause: err });
  });
  if (kind === 'other') throw new BackupError(`${basename(file)} is not a Jarvis backup: it is neither a .db.gz file nor a SQLite database.`);
  try {
    if (kind === 'gzip') await gunzipFile(file, dest);
    else await copyFile(file, dest);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('Z_')) throw new BackupError(`${basename(file)} is damaged: its compressed data cannot be read (${code}).`, { cause: err });
    throw new BackupError(`Cannot unpack ${basename(file)}: ${failureReason(err)}.`, { cause: err });
  }
  if ((await fileKind(dest)) !== 'sqlite') throw new BackupError(`${basename(file)} is not a Jarvis backup: it does not hold a SQLite database.`);
}

/** Checks the unpacked copy and applies pending migrations to it; the live database is not touched yet. */
function prepare(candidate: string, file: string, migrations: MigrationFile[], now: number): Omit<RestoreReport, 'keptAside'> {
  let db: Database.Database;
  try {
    db = new Database(candidate, { fileMustExist: true });
  } catch (err) {
    throw new BackupError(`${basename(file)} cannot be opened as a database: ${failureReason(err)}.`, { cause: err });
  }
  try {
    let before;
    try {
      before = inspectDatabase(db, { counts: false });
    } catch (err) {
      throw new BackupError(`${basename(file)} is damaged: ${failureReason(err)}.`, { cause: err });
    }
    if (before.integrity.join() !== 'ok') throw new BackupError(`${basename(file)} is damaged: SQLite's integrity check found ${before.integrity.length} problem(s), e.g. "${before.integrity[0]}".`);
    if (!before.hasMigrations) throw new BackupError(`${basename(file)} is not a Jarvis backup: it has no schema_migrations table.`);
    const known = migrations.length ? Math.max(...migrations.map((m) => m.version)) : 0;
    if (before.schema > known) {
      throw new BackupError(`${basename(file)} comes from a newer Jarvis (schema version ${before.schema}; this one knows up to ${known}): upgrade Jarvis first, or restore an older backup.`);
    }
    let applied: string[];
    let schemaAfter: number;
    try {
      ({ applied, current: schemaAfter } = migrate(db, migrations, now));
    } catch (err) {
      if (err instanceof MigrationError) throw new BackupError(`${basename(file)} cannot be brought up to date: ${err.message}.`, { cause: err });
      throw err;
    }
    db.pragma('journal_mode = DELETE'); // one self-contained file to rename; the daemon turns WAL back on
    const after = inspectDatabase(db, { quick: true });
    return {
      source: file,
      takenAt: before.takenAt ?? parseBackupName(basename(file))?.takenAt,
      schemaBefore: before.schema,
      schemaAfter,
      applied,
      tables: after.tables,
    };
  } finally {
    db.close();
  }
}

/** Folds the WAL into the current database and renames it (and any leftover -wal/-shm) out of the way. */
function setAside(dbPath: string, now: number): string {
  let aside = `${dbPath}.before-restore-${fileStamp(now)}`;
  for (let n = 2; existsSync(aside); n++) aside = `${dbPath}.before-restore-${fileStamp(now)}-${n}`;
  let r;
  try {
    r = openExclusive(dbPath);
  } catch {
    r = undefined; // not a database: move it aside as it is
  }
  if (r && 'busy' in r) throw new BackupError(RUNNING_MESSAGE);
  if (r) {
    try {
      r.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      r.db.close();
    }
  }
  renameSync(dbPath, aside);
  for (const suffix of ['-wal', '-shm', '-journal']) {
    if (existsSync(dbPath + suffix)) renameSync(dbPath + suffix, aside + suffix);
  }
  return aside;
}
