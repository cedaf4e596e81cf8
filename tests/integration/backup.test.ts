import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../src/core/clock.js';
import { projectRoot } from '../../src/core/paths.js';
import { openDatabase, type Db } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { backupConfigFrom, type BackupConfig } from '../../src/ops/backup-config.js';
import { takeBackup } from '../../src/ops/backup/take.js';
import { listBackups, parseBackupName, backupName } from '../../src/ops/backup/names.js';
import { restoreBackup, RUNNING_MESSAGE } from '../../src/ops/backup/restore.js';
import { BackupError } from '../../src/ops/backup/errors.js';
import { databaseInUse } from '../../src/ops/backup/db-in-use.js';
import { startDbWriter, type DbWriter } from '../support/db-writer.js';

/** Backups of a real database file: online under another process's writes, checked, rotated, restored. */

const MIGRATIONS = readMigrations(join(projectRoot(), 'migrations'));
const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

let dirs: string[] = [];
let dbs: Db[] = [];
let writer: DbWriter | undefined;
afterEach(async () => {
  await writer?.stop();
  writer = undefined;
  for (const db of dbs) if (db.open) db.close();
  dbs = [];
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function freshDb(migrations = MIGRATIONS): { dir: string; dbPath: string; db: Db; config: BackupConfig } {
  const dir = mkdtempSync(join(tmpdir(), 'jarvis-backup-'));
  dirs.push(dir);
  const dbPath = join(dir, 'jarvis.db');
  const db = openDatabase(dbPath);
  dbs.push(db);
  migrate(db, migrations);
  return { dir, dbPath, db, config: backupConfigFrom({ BACKUP_KEEP: 7, BACKUP_CRON: '40 3 * * *', BACKUP_MAX_AGE_HOURS: 36 }, dir) };
}

function addRows(db: Db, n: number): void {
  const insert = db.prepare("INSERT INTO audit_log (at, actor, action, target, outcome, detail) VALUES (?, 'seed', 'seed', NULL, 'ok', ?)");
  db.transaction(() => {
    for (let i = 0; i < n; i++) insert.run(i, 'y'.repeat(200));
  })();
}

/** The backup, unpacked to a plain file and opened read-only. */
function openBackup(path: string): Database.Database {
  const plain = join(mkdtempSync(join(tmpdir(), 'jarvis-unpacked-')), 'copy.db');
  dirs.push(join(plain, '..'));
  writeFileSync(plain, gunzipSync(readFileSync(path)));
  const db = new Database(plain, { readonly: true });
  dbs.push(db as Db);
  return db;
}

describe('backups', () => {
  it('copies the database while another process keeps writing: every row committed before it began is in it, and it is sound', async () => {
    const { dbPath, db, config } = freshDb();
    addRows(db, 20_000); // ~5 MB, so the copy takes many steps
    writer = startDbWriter(dbPath);
    await writer.waitFor(500);
    const before = (db.prepare('SELECT MAX(id) AS id FROM audit_log').get() as { id: number }).id;
    const r = await takeBackup(db, { config, clock: systemClock, pagesPerStep: 20 });
    const during = writer.committed();
    const total = await writer.stop();
    writer = undefined;
    expect(during).toBeGreaterThan(before); // the writer was not blocked while the copy ran

    expect(r.name).toMatch(/^jarvis-\d{8}-\d{6}Z-v\d+\.db\.gz$/);
    expect(r.schema).toBe(LATEST);
    expect(statSync(r.path).mode & 0o777).toBe(0o600);
    expect(statSync(config.dir).mode & 0o777).toBe(0o700);
    const copy = openBackup(r.path);
    expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
    const { n } = copy.prepare('SELECT COUNT(*) AS n FROM audit_log WHERE id <= ?').get(before) as { n: number };
    expect(n).toBe(before);
    const max = (copy.prepare('SELECT MAX(id) AS id FROM audit_log').get() as { id: number }).id;
    expect(max).toBeGreaterThanOrEqual(before);
    expect(max).toBeLessThanOrEqual(total);
    expect(copy.pragma('journal_mode', { simple: true })).toBe('delete'); // standalone: no WAL needed
    expect(readdirSync(config.dir)).toEqual([r.name]); // no temporary files left
  });

  it('keeps the newest BACKUP_KEEP and leaves other files alone', async () => {
    const { db, config } = freshDb();
    const clock = new ManualClock(Date.UTC(2025, 0, 2, 3, 40, 0));
    const keep = { ...config, keep: 3 };
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      names.push((await takeBackup(db, { config: keep, clock })).name);
      clock.advance(86_400_000);
    }
    writeFileSync(join(config.dir, 'notes.txt'), 'mine');
    const r = await takeBackup(db, { config: keep, clock });
    expect(names[0]).toBe(`jarvis-20250102-034000Z-v${LATEST}.db.gz`);
    expect(listBackups(config.dir).map((b) => b.name)).toEqual([r.name, names[4], names[3]]);
    expect(r.removed).toEqual([names[2]]);
    expect(existsSync(join(config.dir, 'notes.txt'))).toBe(true);
  });

  it('names two backups taken in the same second apart, newest first', async () => {
    const { db, config } = freshDb();
    const clock = new ManualClock(Date.UTC(2025, 5, 1, 12, 0, 0));
    const a = await takeBackup(db, { config, clock });
    const b = await takeBackup(db, { config, clock });
    expect(b.name).toBe(`jarvis-20250601-120000Z-1-v${LATEST}.db.gz`);
    expect(listBackups(config.dir).map((f) => f.name)).toEqual([b.name, a.name]);
    expect(parseBackupName(b.name)).toEqual({ takenAt: Date.UTC(2025, 5, 1, 12, 0, 0), seq: 1, schema: LATEST });
  });

  it('fails with one sentence when the folder cannot be made, and leaves nothing behind', async () => {
    const { dir, db, config } = freshDb();
    writeFileSync(join(dir, 'a-file'), '');
    const err = await takeBackup(db, { config: { ...config, dir: join(dir, 'a-file', 'backups') }, clock: systemClock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect((err as Error).message).toMatch(/^The backup failed: cannot create the folder .*a-file\/backups \(.+\)\.$/);
  });
});

describe('restore', () => {
  async function backupOf(setup: (db: Db) => void = () => undefined, migrations = MIGRATIONS): Promise<{ path: string; rows: number }> {
    const { db, config } = freshDb(migrations);
    addRows(db, 123);
    setup(db);
    const r = await takeBackup(db, { config, clock: new ManualClock(Date.UTC(2025, 0, 2, 3, 40, 0)) });
    db.close();
    return { path: r.path, rows: 123 };
  }

  function target(): string {
    const dir = mkdtempSync(join(tmpdir(), 'jarvis-restore-'));
    dirs.push(dir);
    return join(dir, 'data', 'jarvis.db');
  }

  it('restores into a fresh data dir and reports rows per table and the time of the backup', async () => {
    const { path } = await backupOf();
    const dbPath = target();
    const report = await restoreBackup(path, { dbPath, migrations: MIGRATIONS, clock: systemClock });
    expect(report).toMatchObject({ source: path, takenAt: Date.UTC(2025, 0, 2, 3, 40, 0), schemaBefore: LATEST, schemaAfter: LATEST, applied: [], keptAside: undefined });
    expect(report.tables.find((t) => t.table === 'audit_log')).toEqual({ table: 'audit_log', rows: 123 });
    expect(report.tables.some((t) => t.table.startsWith('memories_fts_'))).toBe(false);
    const db = new Database(dbPath, { readonly: true });
    dbs.push(db as Db);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(statSync(dbPath).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(dbPath, '..'))).toEqual(['jarvis.db']);
  });

  it('keeps the current database aside, its WAL folded in, and applies migrations a backup from an older Jarvis lacks', async () => {
    // A backup from an "older Jarvis": one that did not have the newest migration yet.
    const older = MIGRATIONS.filter((m) => m.version < LATEST);
    const previous = Math.max(...older.map((m) => m.version));
    const { path } = await backupOf(() => undefined, older);
    expect(path).toContain(`-v${previous}.db.gz`);
    const dbPath = target();
    const current = openDatabase(dbPath);
    migrate(current, MIGRATIONS);
    current.prepare("INSERT INTO kv (key, value, updated_at) VALUES ('mine', 'still here', 1)").run();
    const walRows = current.pragma('wal_checkpoint(PASSIVE)'); // leave the WAL file present
    expect(walRows).toBeTruthy();
    current.close();

    const report = await restoreBackup(path, { dbPath, migrations: MIGRATIONS, clock: new ManualClock(Date.UTC(2025, 1, 3, 10, 15, 0)) });
    expect(report.schemaBefore).toBe(previous);
    expect(report.schemaAfter).toBe(LATEST);
    expect(report.applied).toEqual([MIGRATIONS.find((m) => m.version === LATEST)!.name]);
    expect(report.keptAside).toBe(`${dbPath}.before-restore-20250203-101500Z`);
    const aside = new Database(report.keptAside!, { readonly: true });
    dbs.push(aside as Db);
    expect(aside.prepare("SELECT value FROM kv WHERE key = 'mine'").get()).toEqual({ value: 'still here' });
    const restored = new Database(dbPath, { readonly: true });
    dbs.push(restored as Db);
    expect(restored.prepare("SELECT value FROM kv WHERE key = 'mine'").get()).toBeUndefined();
    expect((restored.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n).toBe(123);
  });

  it('refuses a backup from a newer Jarvis, and changes nothing', async () => {
    const { path } = await backupOf((db) => db.prepare("INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (999, '999_future.sql', 'x', 1)").run());
    const dbPath = target();
    const err = await restoreBackup(path, { dbPath, migrations: MIGRATIONS, clock: systemClock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect((err as Error).message).toBe(`${path.split('/').pop()} comes from a newer Jarvis (schema version 999; this one knows up to ${LATEST}): upgrade Jarvis first, or restore an older backup.`);
    expect(existsSync(join(dbPath, '..')) ? readdirSync(join(dbPath, '..')) : []).toEqual([]);
  });

  it('refuses a damaged file: truncated gzip, damaged pages, not a database at all', async () => {
    const { path } = await backupOf();
    const dir = join(path, '..');
    const truncated = join(dir, 'truncated.db.gz');
    writeFileSync(truncated, readFileSync(path).subarray(0, 600));
    const plain = gunzipSync(readFileSync(path));
    // Overwrite the middle of the file (table pages) with garbage, keeping the header valid.
    const damagedBytes = Buffer.from(plain);
    damagedBytes.fill(0xa5, 4096 * 3, damagedBytes.length - 4096 * 2);
    const damaged = join(dir, 'damaged.db.gz');
    writeFileSync(damaged, gzipSync(damagedBytes));
    const text = join(dir, 'notes.db.gz');
    writeFileSync(text, 'hello');
    const notJarvis = join(dir, 'other.db.gz');
    const other = new Database(join(dir, 'other.db'));
    other.exec('CREATE TABLE t (x)');
    other.close();
    writeFileSync(notJarvis, gzipSync(readFileSync(join(dir, 'other.db'))));

    const dbPath = target();
    const attempt = (f: string) => restoreBackup(f, { dbPath, migrations: MIGRATIONS, clock: systemClock }).then(() => 'restored', (e: Error) => e.message);
    expect(await attempt(truncated)).toMatch(/^truncated\.db\.gz is damaged: its compressed data cannot be read \(Z_BUF_ERROR\)\.$/);
    expect(await attempt(damaged)).toMatch(/^damaged\.db\.gz (is damaged|cannot be opened)/);
    expect(await attempt(text)).toBe('notes.db.gz is not a Jarvis backup: it is neither a .db.gz file nor a SQLite database.');
    expect(await attempt(notJarvis)).toBe('other.db.gz is not a Jarvis backup: it has no schema_migrations table.');
    expect(await attempt(join(dir, 'missing.db.gz'))).toMatch(/^Cannot read .*missing\.db\.gz: no such file\.$/);
    expect(existsSync(join(dbPath, '..')) ? readdirSync(join(dbPath, '..')) : []).toEqual([]);
  });

  it('refuses while another process has the database open, and restores once it is gone', async () => {
    const { path } = await backupOf();
    const dbPath = target();
    const current = openDatabase(dbPath);
    migrate(current, MIGRATIONS);
    current.close();
    writer = startDbWriter(dbPath);
    await writer.waitFor(100);
    expect(databaseInUse(dbPath)).toBe(true);
    await expect(restoreBackup(path, { dbPath, migrations: MIGRATIONS, clock: systemClock })).rejects.toThrow(RUNNING_MESSAGE);
    await writer.stop();
    writer = undefined;
    expect(databaseInUse(dbPath)).toBe(false);
    const report = await restoreBackup(path, { dbPath, migrations: MIGRATIONS, clock: systemClock });
    expect(report.keptAside).toBeDefined();
    const aside = new Database(report.keptAside!, { readonly: true });
    dbs.push(aside as Db);
    expect((aside.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE actor = 'load'").get() as { n: number }).n).toBeGreaterThanOrEqual(100);
  });

  it('file names sort by time', () => {
    expect(backupName(Date.UTC(2025, 11, 31, 23, 59, 59), 14)).toBe('jarvis-20251231-235959Z-v14.db.gz');
  });
});
