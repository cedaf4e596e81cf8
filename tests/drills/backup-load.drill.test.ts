import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MAIN, tempDataDir } from '../e2e/daemon.js';
import { startDbWriter, type DbWriter } from '../support/db-writer.js';
import { openDatabase } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { projectRoot } from '../../src/core/paths.js';
import { figure } from './drill-kit.js';
import { drillSize, FULL } from './mode.js';

/**
 * Backup under load: another process writes audit_log rows at ~1,000 a second, one transaction
 * each (tests/support/db-writer.ts), while `jarvis backup` (the built CLI, its own process, SQLite's
 * online backup API) copies the database, BACKUPS times. Each backup is then restored with
 * `jarvis restore` into a fresh data dir, as a person recovering on a new machine would, and:
 *   - PRAGMA integrity_check on the restored database is ok;
 *   - every row committed before that backup began is there (ids 1..N, N read from the database
 *     just before the CLI started), and the restore's report of rows matches the file.
 * Quick (npm test): 2 s of load, one backup. Full (npm run drills): 30 s, a backup every 3 s.
 */

const LOAD_MS = drillSize(2_000, 30_000);
const BACKUP_EVERY_MS = drillSize(1_000, 3_000);
const RATE = 1_000;
/** About 12 MB before the load starts, so the copy takes several steps. */
const SEED_ROWS = 50_000;

interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], dataDir: string): Promise<CliResult> {
  const proc = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', JARVIS_ENV_FILE: '/nonexistent/.env', JARVIS_DATA_DIR: dataDir, BACKUP_KEEP: '100' },
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => proc.on('close', (status) => resolve({ status, stdout, stderr })));
}

const maxId = (db: Database.Database): number => (db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM audit_log').get() as { id: number }).id;

interface Taken {
  file: string;
  /** Rows committed when the backup began (ids 1..before). */
  before: number;
  /** The last row committed when the backup had finished: the copy holds none after it. */
  after: number;
  ms: number;
}

const dirs: string[] = [];
let writer: DbWriter | undefined;
afterAll(async () => {
  await writer?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('backup under load', () => {
  it(`a backup taken during ${RATE} writes/s, restored into a fresh data dir: integrity ok, every row committed before it began is there`, async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const dbPath = join(dataDir, 'jarvis.db');
    const db = openDatabase(dbPath);
    migrate(db, readMigrations(join(projectRoot(), 'migrations')));
    const seed = db.prepare("INSERT INTO audit_log (at, actor, action, target, outcome, detail) VALUES (?, 'seed', 'seed', NULL, 'ok', ?)");
    db.transaction(() => {
      for (let i = 0; i < SEED_ROWS; i++) seed.run(i, 'y'.repeat(200));
    })();

    writer = startDbWriter(dbPath, { rowsPerSec: RATE });
    await writer.waitFor(SEED_ROWS + 100);
    const loadStart = { at: Date.now(), id: maxId(db) };
    const taken: Taken[] = [];
    const failures: string[] = [];
    while (Date.now() - loadStart.at < LOAD_MS - BACKUP_EVERY_MS / 2) {
      const next = loadStart.at + (taken.length + 1) * BACKUP_EVERY_MS - BACKUP_EVERY_MS / 2;
      await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
      const before = maxId(db); // committed: our own connection sees it
      const t0 = Date.now();
      const r = await cli(['backup'], dataDir);
      if (r.status !== 0) {
        failures.push(`backup ${taken.length + 1}: exit ${r.status}: ${r.stderr.trim()}`);
        break;
      }
      taken.push({ file: r.stdout.trim(), before, after: maxId(db), ms: Date.now() - t0 });
    }
    while (Date.now() - loadStart.at < LOAD_MS) await new Promise((r) => setTimeout(r, 20));
    const loadEnd = { at: Date.now(), id: maxId(db) };
    const total = await writer.stop();
    writer = undefined;
    db.close();
    const rate = ((loadEnd.id - loadStart.id) * 1000) / (loadEnd.at - loadStart.at);

    const results: string[] = [];
    let ok = 0;
    for (const [i, b] of taken.entries()) {
      const fresh = tempDataDir();
      dirs.push(fresh);
      const r = await cli(['restore', b.file], fresh);
      if (r.status !== 0) {
        failures.push(`restore of backup ${i + 1}: exit ${r.status}: ${r.stderr.trim()}`);
        continue;
      }
      const reported = Number(/\n {2}audit_log +(\d+)\n/.exec(r.stdout)?.[1] ?? NaN);
      const copy = new Database(join(fresh, 'jarvis.db'), { readonly: true, fileMustExist: true });
      let integrity: string;
      let present: number;
      let rows: number;
      let max: number;
      try {
        integrity = (copy.pragma('integrity_check') as { integrity_check: string }[]).map((x) => x.integrity_check).join('; ');
        present = (copy.prepare('SELECT COUNT(*) AS n FROM audit_log WHERE id <= ?').get(b.before) as { n: number }).n;
        rows = (copy.prepare('SELECT COUNT(*) AS n FROM audit_log').get() as { n: number }).n;
        max = maxId(copy);
      } finally {
        copy.close();
      }
      const line = `backup ${i + 1}: took ${b.ms} ms; rows committed before it began ${b.before}, in the backup ${rows} (up to id ${max}; ${b.after} committed when it ended), restored ${reported}, integrity ${integrity}`;
      results.push(line);
      const problems = [
        integrity !== 'ok' && `integrity_check: ${integrity}`,
        present !== b.before && `only ${present} of the ${b.before} rows committed before it began`,
        reported !== rows && `the restore reported ${reported} rows, the file holds ${rows}`,
        max > b.after && `holds id ${max}, past the ${b.after} committed when the backup ended`,
      ].filter(Boolean);
      if (problems.length) failures.push(`backup ${i + 1}: ${problems.join('; ')}`);
      else ok++;
    }

    figure(
      `backup under load: ${rate.toFixed(0)} rows/s for ${((loadEnd.at - loadStart.at) / 1000).toFixed(1)} s, ${taken.length} backup${taken.length === 1 ? '' : 's'}, each restored into a fresh data dir:` +
        ` integrity ok and every row committed before the backup began present in ${ok}/${taken.length} (${FULL ? 'full' : 'quick'}; ${SEED_ROWS} rows seeded, ${total} at the end)`,
    );
    for (const line of results) console.log(`  ${line}`);
    for (const f of failures) console.log(`  ! ${f}`);

    expect(failures).toEqual([]);
    expect(taken.length).toBeGreaterThanOrEqual(1);
    expect(ok).toBe(taken.length);
    expect(rate).toBeGreaterThan(RATE * 0.8);
  }, FULL ? 300_000 : 60_000);
});
