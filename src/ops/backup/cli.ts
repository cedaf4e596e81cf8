import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../config.js';
import { systemClock } from '../../core/clock.js';
import { UserError } from '../../core/errors.js';
import { projectRoot } from '../../core/paths.js';
import { formatBytes, formatTime } from '../../core/render.js';
import { openDatabase } from '../../storage/database.js';
import { readMigrations } from '../../storage/migrations.js';
import { restoreBackup, type RestoreReport } from './restore.js';
import { takeBackup } from './take.js';

/**
 * `jarvis backup` and `jarvis restore FILE`. Exit codes follow the rest of the CLI: 0 done,
 * 1 failed (the reason on stderr), 64 usage.
 */

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const EXIT_USAGE = 64;

/** Works with the daemon running (a second connection; WAL lets it read while the daemon writes) or stopped. Prints the file's path on stdout. */
export async function backupCommand(config: Config, args: string[], io: CliIo): Promise<number> {
  if (args.length > 0) {
    io.err('Usage: jarvis backup   (takes no arguments; BACKUP_DIR and BACKUP_KEEP configure it)\n');
    return EXIT_USAGE;
  }
  if (!existsSync(config.dbPath)) {
    io.err(`There is no database at ${config.dbPath} yet: start Jarvis once (or run jarvis migrate), then back it up.\n`);
    return 1;
  }
  const db = openDatabase(config.dbPath);
  try {
    const r = await takeBackup(db, { config: config.backup, clock: systemClock });
    io.out(`${r.path}\n`);
    const rotated = r.removed.length ? `, removed ${r.removed.length} older` : '';
    io.err(`Backup saved (${formatBytes(r.bytes)}, schema version ${r.schema}, took ${r.ms} ms); keeping the newest ${config.backup.keep}${rotated}.\n`);
    return 0;
  } catch (err) {
    io.err(`${err instanceof UserError ? err.message : `The backup failed: ${(err as Error).message}`}\n`);
    return 1;
  } finally {
    db.close();
  }
}

/** Needs Jarvis stopped; refuses otherwise. Prints what it restored. */
export async function restoreCommand(config: Config, args: string[], io: CliIo): Promise<number> {
  if (args.length !== 1 || !args[0] || args[0].startsWith('-')) {
    io.err('Usage: jarvis restore FILE   (a jarvis-….db.gz from BACKUP_DIR; stop Jarvis first)\n');
    return EXIT_USAGE;
  }
  const file = resolve(args[0]);
  try {
    const report = await restoreBackup(file, { dbPath: config.dbPath, migrations: readMigrations(join(projectRoot(), 'migrations')), clock: systemClock });
    io.out(describeRestore(report, config.dbPath));
    return 0;
  } catch (err) {
    io.err(`${err instanceof UserError ? err.message : `The restore failed: ${(err as Error).message}`}\n`);
    return 1;
  }
}

export function describeRestore(r: RestoreReport, dbPath: string): string {
  const lines = [`Restored ${r.source} into ${dbPath}.`];
  const taken = r.takenAt !== undefined ? `taken ${formatTime(r.takenAt)}` : 'time of backup unknown';
  lines.push(
    r.applied.length
      ? `The backup (${taken}) had schema version ${r.schemaBefore}; applied ${r.applied.join(', ')}, now at ${r.schemaAfter}.`
      : `The backup was ${taken}, at schema version ${r.schemaBefore} (current).`,
  );
  lines.push(r.keptAside ? `The previous database is kept as ${r.keptAside}.` : 'There was no database before.');
  const width = Math.max(5, ...r.tables.map((t) => t.table.length));
  lines.push('Rows per table:', ...r.tables.map((t) => `  ${t.table.padEnd(width)}  ${t.rows}`));
  lines.push('Start Jarvis again (pm2 start jarvis, or npm start).');
  return lines.join('\n') + '\n';
}
