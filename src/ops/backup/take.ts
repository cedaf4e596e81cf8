import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import type { Db } from '../../storage/database.js';
import { schemaVersion } from '../../storage/migrations.js';
import type { BackupConfig } from '../backup-config.js';
import { gzipFile, syncDir } from './compress.js';
import { BackupError, failureReason, removeQuietly } from './errors.js';
import { inspectDatabase, TAKEN_AT_KEY } from './inspect.js';
import { backupName } from './names.js';
import { rotateBackups } from './rotate.js';

/**
 * One online backup: SQLite's backup API copies the live database page by page while Jarvis keeps
 * writing (WAL readers never block the writer); the copy is checked (integrity_check, the same
 * schema version as the source), compressed, and put in place under its final name only when
 * complete, so a crash leaves either a whole backup or none. Then the oldest beyond `keep` go.
 *
 * Nothing is decrypted: every table is copied as stored (the wallet is sealed, WhatsApp's auth
 * state is whatever its module stores), and the file is 0600 in a 0700 folder.
 */

export interface BackupResult {
  path: string;
  name: string;
  /** Size of the compressed file. */
  bytes: number;
  /** Wall time the backup took. */
  ms: number;
  schema: number;
  takenAt: number;
  /** Names of older backups deleted by rotation. */
  removed: string[];
}

export interface TakeBackupOptions {
  config: BackupConfig;
  clock: Clock;
  /** Pages copied per step between event-loop turns (default 1000, about 4 MB). */
  pagesPerStep?: number;
}

/** Copies everything left in one step: used once another connection's writes restart the copy. */
const ALL_PAGES = 0x7fffffff;

export async function takeBackup(db: Db, opts: TakeBackupOptions): Promise<BackupResult> {
  const { config, clock } = opts;
  const t0 = performance.now();
  const takenAt = clock.now();
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const rawCopy = join(config.dir, `.partial-${tag}.db`);
  const packed = join(config.dir, `.partial-${tag}.db.gz`);
  try {
    try {
      mkdirSync(config.dir, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw new BackupError(`The backup failed: cannot create the folder ${config.dir} (${failureReason(err)}).`, { cause: err });
    }
    const schema = schemaVersion(db);
    await copyOnline(db, rawCopy, opts.pagesPerStep ?? 1000);
    verifyCopy(rawCopy, schema, takenAt);
    try {
      await gzipFile(rawCopy, packed);
    } catch (err) {
      throw new BackupError(`The backup failed while compressing into ${config.dir}: ${failureReason(err)}.`, { cause: err });
    }
    const { name, path } = placeUnderFreeName(packed, config.dir, takenAt, schema);
    chmodSync(path, 0o600);
    await syncDir(config.dir);
    const bytes = statSync(path).size;
    const removed = rotateBackups(config.dir, config.keep);
    return { path, name, bytes, ms: Math.round(performance.now() - t0), schema, takenAt, removed };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`The backup failed: ${failureReason(err)}.`, { cause: err });
  } finally {
    removeQuietly([rawCopy, `${rawCopy}-journal`, `${rawCopy}-wal`, `${rawCopy}-shm`, packed]);
  }
}

/**
 * Steps of `pagesPerStep` pages let the daemon's own writes go on between them (SQLite applies
 * writes made on this same connection to the copy as it goes). A write by another process makes
 * SQLite restart the copy at the next step; once that happens, everything left is copied in one
 * step, a single read transaction, which WAL lets run alongside the writer.
 */
async function copyOnline(db: Db, dest: string, pagesPerStep: number): Promise<void> {
  let last = Number.POSITIVE_INFINITY;
  let restarted = false;
  try {
    await db.backup(dest, {
      progress: ({ remainingPages }) => {
        if (remainingPages >= last) restarted = true;
        last = remainingPages;
        return restarted ? ALL_PAGES : pagesPerStep;
      },
    });
  } catch (err) {
    throw new BackupError(`The backup failed while copying the database: ${failureReason(err)}.`, { cause: err });
  }
}

/** Marks the copy with its time, makes it a standalone file (no WAL), and checks it. */
function verifyCopy(path: string, schema: number, takenAt: number): void {
  const copy = new Database(path);
  try {
    copy.pragma('journal_mode = DELETE');
    const hasKv = copy.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kv'").get();
    if (hasKv) {
      copy
        .prepare('INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
        .run(TAKEN_AT_KEY, String(takenAt), takenAt);
    }
    const report = inspectDatabase(copy, { counts: false });
    if (report.integrity.join() !== 'ok') {
      throw new BackupError(`The backup failed its integrity check (${report.integrity.slice(0, 2).join('; ')}); the database itself may be damaged: run jarvis doctor.`);
    }
    if (report.schema !== schema) {
      throw new BackupError(`The backup failed its check: the copy has schema version ${report.schema}, the database ${schema}.`);
    }
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`The backup failed its check: ${failureReason(err)}.`, { cause: err });
  } finally {
    copy.close();
  }
}

/** Hard-links the finished file to its name, never over an existing backup (another process may take one in the same second). */
function placeUnderFreeName(tmp: string, dir: string, takenAt: number, schema: number): { name: string; path: string } {
  for (let seq = 0; seq < 1000; seq++) {
    const name = backupName(takenAt, schema, seq);
    const path = join(dir, name);
    try {
      linkSync(tmp, path);
      return { name, path };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EEXIST') continue;
      // A file system without hard links (some network and FAT mounts): rename, after checking the name is free.
      if ((code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV') && !existsSync(path)) {
        renameSync(tmp, path);
        return { name, path };
      }
      throw err;
    }
  }
  throw new BackupError(`The backup failed: too many backups named for ${new Date(takenAt).toISOString()} in ${dir}.`);
}
