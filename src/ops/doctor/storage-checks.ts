import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, mkdirSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { formatBytes } from '../../core/render.js';
import { openDatabase } from '../../storage/database.js';
import { migrate, readMigrations } from '../../storage/migrations.js';
import { databaseInUse } from '../backup/db-in-use.js';
import { listBackups } from '../backup/names.js';
import { fail, pass, skip, warn, type Check } from './types.js';

/** The data folder, its disk, the schema and the database file itself. */

const MIN_FREE_BYTES = 1024 ** 3;
const MIN_FREE_FRACTION = 0.05;

export const dataDirCheck: Check = {
  name: 'data dir',
  run({ config }) {
    const dirs = [config.dataDir, config.backup.dir];
    const missing = dirs.filter((d) => !existsSync(d));
    const create = {
      does: `created ${missing.join(' and ')}`,
      apply: () => {
        for (const d of missing) mkdirSync(d, { recursive: true, mode: 0o700 });
      },
    };
    if (missing.includes(config.dataDir)) {
      return warn(`${config.dataDir} does not exist yet`, 'Jarvis creates it at first start; jarvis doctor --fix creates it now', create);
    }
    if (!statSync(config.dataDir).isDirectory()) return fail(`${config.dataDir} is not a folder`, 'point JARVIS_DATA_DIR at a folder');
    const probe = join(config.dataDir, `.doctor-probe-${process.pid}`);
    try {
      writeFileSync(probe, 'ok', { mode: 0o600 });
      rmSync(probe, { force: true });
    } catch (err) {
      return fail(`${config.dataDir} is not writable (${(err as { code?: string }).code ?? 'error'})`, 'give the user that runs Jarvis write access to it (chown or chmod)');
    }
    if (missing.length) return warn(`${config.dataDir} is writable; the backup folder ${config.backup.dir} does not exist yet`, 'the first backup creates it; jarvis doctor --fix creates it now', create);
    if (existsSync(config.backup.dir)) {
      try {
        accessSync(config.backup.dir, constants.W_OK);
      } catch {
        return fail(`the backup folder ${config.backup.dir} is not writable`, 'give the user that runs Jarvis write access to it, or set BACKUP_DIR');
      }
    }
    return pass(`${config.dataDir} is writable`);
  },
};

export const diskCheck: Check = {
  name: 'disk',
  run({ config }) {
    let dir = config.dataDir;
    while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
    const fs = statfsSync(dir);
    const free = fs.bavail * fs.bsize;
    const total = fs.blocks * fs.bsize;
    const pct = total > 0 ? free / total : 1;
    const detail = `${formatBytes(free)} free (${(pct * 100).toFixed(0)}%) where the data lives`;
    if (free < MIN_FREE_BYTES / 10) return fail(detail, 'free some space: SQLite stops writing, and backups fail, when the disk is full');
    if (free < MIN_FREE_BYTES || pct < MIN_FREE_FRACTION) return warn(detail, 'free some space, or lower BACKUP_KEEP, before the disk fills');
    return pass(detail);
  },
};

export const migrationsCheck: Check = {
  name: 'migrations',
  run({ config, root }) {
    const files = readMigrations(join(root, 'migrations'));
    const known = files.length ? Math.max(...files.map((f) => f.version)) : 0;
    const applyAll = (dbPath: string) => () => {
      const db = openDatabase(dbPath);
      try {
        migrate(db, files);
      } finally {
        db.close();
      }
    };
    if (!existsSync(config.dbPath)) {
      return warn('no database yet', 'Jarvis creates it at first start; jarvis doctor --fix (or jarvis migrate) creates it now', {
        does: `created the database at schema version ${known}`,
        apply: applyAll(config.dbPath),
      });
    }
    let applied: { version: number; name: string; checksum: string }[];
    try {
      const db = new Database(config.dbPath, { readonly: true, fileMustExist: true });
      try {
        const has = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
        applied = has ? (db.prepare('SELECT version, name, checksum FROM schema_migrations ORDER BY version').all() as typeof applied) : [];
      } finally {
        db.close();
      }
    } catch (err) {
      return fail(`${config.dbPath} cannot be read as a database (${(err as { code?: string }).code ?? 'error'})`, restoreAdvice(config.backup.dir));
    }
    const byVersion = new Map(files.map((f) => [f.version, f]));
    const newer = applied.filter((a) => !byVersion.has(a.version));
    if (newer.length) {
      return fail(`the database has migration ${Math.max(...newer.map((a) => a.version))}, which this Jarvis does not know (it knows up to ${known})`, 'upgrade Jarvis (git pull, npm install, npm run build), or restore an older backup');
    }
    const edited = applied.find((a) => byVersion.get(a.version)!.checksum !== a.checksum);
    if (edited) return fail(`migration ${edited.name} was edited after it was applied`, 'restore the original file (git checkout migrations/) and add a new migration instead');
    const done = new Set(applied.map((a) => a.version));
    const pending = files.filter((f) => !done.has(f.version));
    if (pending.length === 0) return pass(`schema version ${known}, up to date`);
    const detail = `${pending.length} pending (${pending.map((f) => f.name).join(', ')})`;
    if (databaseInUse(config.dbPath)) return warn(detail, 'Jarvis is running an older build: restart it and it applies them (pm2 restart jarvis)');
    return warn(detail, 'Jarvis applies them at start; jarvis migrate, or jarvis doctor --fix, applies them now', {
      does: `applied ${pending.map((f) => f.name).join(', ')}`,
      changesDatabase: true,
      apply: applyAll(config.dbPath),
    });
  },
};

export const integrityCheck: Check = {
  name: 'database',
  run({ config }) {
    if (!existsSync(config.dbPath)) return skip('no database yet');
    let rows: Record<string, string>[];
    try {
      const db = new Database(config.dbPath, { readonly: true, fileMustExist: true });
      try {
        rows = db.pragma('quick_check') as Record<string, string>[];
      } finally {
        db.close();
      }
    } catch (err) {
      return fail(`${config.dbPath} cannot be read as a database (${(err as { code?: string }).code ?? 'error'})`, restoreAdvice(config.backup.dir));
    }
    const found = rows.map((r) => String(Object.values(r)[0]));
    if (found.join() === 'ok') return pass(`quick_check ok (${formatBytes(statSync(config.dbPath).size)})`);
    return fail(`quick_check found ${found.length} problem(s), e.g. "${found[0]}"`, restoreAdvice(config.backup.dir));
  },
};

function restoreAdvice(backupDir: string): string {
  const newest = listBackups(backupDir)[0];
  return newest ? `stop Jarvis and restore the newest backup: jarvis restore ${newest.path}` : 'stop Jarvis and restore a backup (jarvis restore FILE); there is none in the backup folder';
}
