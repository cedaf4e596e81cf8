import type { Check, CheckResult, DoctorContext } from './types.js';

/**
 * Runs the checks in order and reports each as soon as it is known. Network checks start
 * together at the beginning (each bounded by its own timeout), so a slow service costs one
 * timeout, not one per check. With `fix`, a check's repair runs right after it, then the check
 * runs again; the first repair that changes the database is preceded by a backup.
 */

export interface CheckLine {
  name: string;
  result: CheckResult;
  /** What --fix did (the result is then the check's second run). */
  fixed?: string;
  /** Why --fix could not do it. */
  notFixed?: string;
}

export interface RunOptions {
  fix: boolean;
  /** Backs the database up before the first repair that changes it; the backup's path, or undefined when there is no database. */
  backupFirst(): Promise<string | undefined>;
  onLine?(line: CheckLine): void;
}

export interface DoctorRun {
  lines: CheckLine[];
  /** The backup taken before a repair, if one was. */
  backup?: string;
}

async function runOne(check: Check, ctx: DoctorContext): Promise<CheckResult> {
  try {
    return await check.run(ctx);
  } catch (err) {
    return { status: 'fail', detail: `the check itself failed: ${err instanceof Error ? err.message : String(err)}`, fix: 'run it again; if it persists, report it with the output above' };
  }
}

export async function runChecks(checks: readonly Check[], ctx: DoctorContext, opts: RunOptions): Promise<DoctorRun> {
  const early = checks.map((c) => (c.network ? runOne(c, ctx) : undefined));
  const lines: CheckLine[] = [];
  let backup: string | undefined;
  let backedUp = false;
  for (const [i, check] of checks.entries()) {
    const result = await (early[i] ?? runOne(check, ctx));
    let line: CheckLine = { name: check.name, result };
    const repair = result.repair;
    if (opts.fix && repair && result.status !== 'pass') {
      try {
        if (repair.changesDatabase && !backedUp) {
          try {
            backup = await opts.backupFirst();
          } catch (err) {
            throw new Error(`the backup before it failed: ${err instanceof Error ? err.message : String(err)}`);
          }
          backedUp = true;
        }
        await repair.apply();
        line = { name: check.name, result: await runOne(check, ctx), fixed: repair.does };
      } catch (err) {
        line = { name: check.name, result, notFixed: err instanceof Error ? err.message : String(err) };
      }
    }
    lines.push(line);
    opts.onLine?.(line);
  }
  return { lines, backup };
}
