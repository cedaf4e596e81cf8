import { existsSync } from 'node:fs';
import { parseConfig, secretsOf } from '../../config.js';
import { systemClock } from '../../core/clock.js';
import { projectRoot } from '../../core/paths.js';
import { openDatabase } from '../../storage/database.js';
import { takeBackup } from '../backup/take.js';
import { CHECKS } from './checks.js';
import { configResult } from './config-check.js';
import { envFiles } from './host-checks.js';
import { formatLine, formatSummary } from './print.js';
import { runChecks } from './runner.js';

/**
 * `jarvis doctor [--fix]`: exit 0 when nothing failed (warnings allowed), 1 otherwise, 64 on a
 * usage error. Works with the daemon running or stopped.
 */

export const DOCTOR_TIMEOUT_MS = 5_000;

export async function doctorCommand(args: string[], env: Record<string, string | undefined>, io: { out: (s: string) => void; err: (s: string) => void }): Promise<number> {
  const fix = args.includes('--fix');
  if (args.some((a) => a !== '--fix')) {
    io.err('Usage: jarvis doctor [--fix]\n');
    return 64;
  }
  const root = projectRoot();
  const cwd = process.cwd();
  const parsed = parseConfig(env);
  const files = envFiles({ env, cwd, root });
  const first = { name: 'config', result: configResult(parsed, files) };
  io.out(`${formatLine(first)}\n`);
  if (!parsed.ok) {
    io.out('The other checks need a valid configuration.\n');
    return 1;
  }
  const config = parsed.config;
  const secrets = secretsOf(config);
  const run = await runChecks(CHECKS, { config, env, root, cwd, timeoutMs: DOCTOR_TIMEOUT_MS, now: systemClock.now() }, {
    fix,
    onLine: (line) => io.out(`${formatLine(line, secrets)}\n`),
    async backupFirst() {
      if (!existsSync(config.dbPath)) return undefined;
      const db = openDatabase(config.dbPath);
      try {
        const r = await takeBackup(db, { config: config.backup, clock: systemClock });
        io.out(`Backed up the database before changing it: ${r.path}\n`);
        return r.path;
      } finally {
        db.close();
      }
    },
  });
  const lines = [first, ...run.lines];
  io.out(`${formatSummary(lines)}${!fix && lines.some((l) => l.result.repair && l.result.status !== 'pass') ? ' jarvis doctor --fix can fix some of these.' : ''}\n`);
  return lines.some((l) => l.result.status === 'fail') ? 1 : 0;
}
