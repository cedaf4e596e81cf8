import type { Config } from '../../config.js';

/** One check's verdict. `fix` says in words what a person should do; `repair` is what `--fix` may do itself. */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  status: CheckStatus;
  detail: string;
  /** For warn and fail: the fix, in words. */
  fix?: string;
  /** Something `jarvis doctor --fix` can safely do about it. */
  repair?: Repair;
}

export interface Repair {
  /** Past tense, for the report: "deleted the webhook". */
  does: string;
  /** A backup of the database is taken before it runs. */
  changesDatabase?: boolean;
  apply(): void | Promise<void>;
}

export interface DoctorContext {
  config: Config;
  /** The environment the configuration was read from (process.env over .env). */
  env: Record<string, string | undefined>;
  /** The folder holding package.json and migrations/. */
  root: string;
  cwd: string;
  /** Every network check gives up after this long. */
  timeoutMs: number;
  now: number;
}

export interface Check {
  name: string;
  /** Talks to another service: started at once, alongside the others. */
  network?: boolean;
  run(ctx: DoctorContext): CheckResult | Promise<CheckResult>;
}

export const pass = (detail: string): CheckResult => ({ status: 'pass', detail });
export const warn = (detail: string, fix: string, repair?: Repair): CheckResult => ({ status: 'warn', detail, fix, repair });
export const fail = (detail: string, fix: string, repair?: Repair): CheckResult => ({ status: 'fail', detail, fix, repair });
export const skip = (detail: string): CheckResult => ({ status: 'skip', detail: `skipped: ${detail}` });
