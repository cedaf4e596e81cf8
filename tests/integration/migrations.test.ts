import { mkdtempSync, writeFileSync, cpSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { MigrationError, migrate, readMigrations, schemaVersion } from '../../src/storage/migrations.js';
import { projectRoot } from '../../src/core/paths.js';

function copyOfMigrations(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jarvis-mig-'));
  cpSync(join(projectRoot(), 'migrations'), dir, { recursive: true });
  return dir;
}
const tempDb = () => openDatabase(join(mkdtempSync(join(tmpdir(), 'jarvis-db-')), 'j.db'));

describe('migrations', () => {
  it('applies every file once, in order, and is a no-op the second time', () => {
    const db = tempDb();
    const files = readMigrations(join(projectRoot(), 'migrations'));
    const first = migrate(db, files);
    expect(first.applied).toEqual(readdirSync(join(projectRoot(), 'migrations')).sort());
    expect(migrate(db, files).applied).toEqual([]);
    expect(schemaVersion(db)).toBe(first.current);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('stops start-up when an applied file was edited, naming the file', () => {
    const dir = copyOfMigrations();
    const db = tempDb();
    migrate(db, readMigrations(dir));
    writeFileSync(join(dir, '002_access.sql'), '-- edited\n', { flag: 'a' });
    expect(() => migrate(db, readMigrations(dir))).toThrow(/002_access\.sql was edited after it was applied/);
  });

  it('refuses a database written by a newer Jarvis', () => {
    const dir = copyOfMigrations();
    const db = tempDb();
    writeFileSync(join(dir, '999_future.sql'), 'CREATE TABLE future (x INTEGER);');
    migrate(db, readMigrations(dir));
    const older = readMigrations(dir).filter((f) => f.version !== 999);
    expect(() => migrate(db, older)).toThrow(MigrationError);
    expect(() => migrate(db, older)).toThrow(/newer Jarvis/);
  });

  it('rolls a failing migration back whole and leaves the version where it was', () => {
    const dir = copyOfMigrations();
    const db = tempDb();
    migrate(db, readMigrations(dir));
    const before = schemaVersion(db);
    writeFileSync(join(dir, '900_broken.sql'), 'CREATE TABLE half (x INTEGER);\nINSERT INTO nowhere VALUES (1);');
    expect(() => migrate(db, readMigrations(dir))).toThrow(/900_broken\.sql failed/);
    expect(schemaVersion(db)).toBe(before);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
  });

  it('rejects badly named files', () => {
    const dir = copyOfMigrations();
    writeFileSync(join(dir, 'add-users.sql'), '');
    expect(() => readMigrations(dir)).toThrow(/add-users\.sql is not NNN_name\.sql/);
  });
});
