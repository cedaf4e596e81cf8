import cron, { type ScheduledTask } from 'node-cron';
import type { Db } from '../storage/database.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Config } from '../config.js';
import type { Services } from './services.js';
import type { Metrics } from '../ops/metrics.js';
import { truncate } from './render.js';

/** A file in jobs/ default-exports one of these. */
export interface Job {
  name: string;
  description: string;
  /** When to run, from config; `missed` decides what happens to a run missed while the daemon was down. */
  schedule(config: Config): { cron: string; missed: 'skip' | 'run-once' };
  /** False when its module is not configured: the job is not scheduled at all (default true). */
  enabled?(config: Config): boolean;
  /** Runs every few seconds: only its latest successful run is kept in job_runs (failures are all kept). */
  quiet?: boolean;
  /** Returns a short summary for the run record. Should honour the signal on shutdown. */
  run(services: Services, signal: AbortSignal): Promise<string | void>;
}

export function isJob(x: unknown): x is Job {
  const j = x as Job;
  return !!j && typeof j.name === 'string' && typeof j.schedule === 'function' && typeof j.run === 'function';
}

export interface JobRun {
  job: string;
  startedAt: number;
  durationMs: number | null;
  outcome: 'running' | 'ok' | 'error' | 'skipped';
  detail: string | null;
}

interface Entry {
  job: Job;
  cron: string;
  missed: 'skip' | 'run-once';
  task?: ScheduledTask;
  running?: Promise<void>;
}

/**
 * Runs jobs on their cron schedules: never two runs of one job at once, every run recorded,
 * errors logged and never thrown, a missed run handled by the job's policy at start.
 */
export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly abort = new AbortController();
  private started = false;
  private stopped = false;

  constructor(
    private readonly deps: { db: Db; clock: Clock; log: Logger; metrics: Metrics; config: Config; services: () => Services },
    jobs: readonly Job[],
  ) {
    for (const job of jobs) {
      if (this.entries.has(job.name)) throw new Error(`two jobs are named ${job.name}`);
      if (job.enabled && !job.enabled(deps.config)) continue;
      const { cron: expr, missed } = job.schedule(deps.config);
      if (!cron.validate(expr)) throw new Error(`job ${job.name}: "${expr}" is not a valid cron expression`);
      this.entries.set(job.name, { job, cron: expr, missed });
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  jobs(): { name: string; description: string; cron: string; missed: 'skip' | 'run-once' }[] {
    return [...this.entries.values()].map((e) => ({ name: e.job.name, description: e.job.description, cron: e.cron, missed: e.missed }));
  }

  /** Starts every schedule and deals with runs missed while the daemon was down. */
  start(): void {
    this.started = true;
    const now = this.deps.clock.now();
    this.deps.db.prepare("UPDATE job_runs SET outcome = 'error', detail = 'interrupted by a restart' WHERE outcome = 'running'").run();
    for (const e of this.entries.values()) {
      e.task = cron.createTask(e.cron, () => this.runNow(e.job.name, 'scheduled'), { name: e.job.name, noOverlap: true });
      void e.task.start();
      const due = this.nextDue(e.job.name);
      if (due !== undefined && due < now) {
        if (e.missed === 'run-once') {
          this.deps.log.info({ job: e.job.name }, 'job missed a run while stopped; running it once now');
          void this.runNow(e.job.name, 'missed');
        } else {
          this.record(e.job.name, now, 0, 'skipped', 'missed while stopped');
        }
      }
      this.saveNextDue(e);
    }
  }

  /** False in `jarvis chat`, which shares the database with the daemon that owns the jobs. */
  get running(): boolean {
    return this.started && !this.stopped;
  }

  /** Runs a job now unless it is already running; resolves when that run ends. Never throws. */
  runNow(name: string, reason = 'invoked'): Promise<void> {
    const e = this.entries.get(name);
    if (!e || !this.running) return Promise.resolve();
    if (e.running) return e.running;
    e.running = this.execute(e, reason).finally(() => {
      e.running = undefined;
    });
    return e.running;
  }

  private async execute(e: Entry, reason: string): Promise<void> {
    const { clock, log, metrics } = this.deps;
    const startedAt = clock.now();
    const t0 = performance.now();
    const id = this.record(e.job.name, startedAt, null, 'running', reason);
    try {
      const detail = await e.job.run(this.deps.services(), this.abort.signal);
      this.finish(id, Math.round(performance.now() - t0), 'ok', detail ?? null);
      if (e.job.quiet && id > 0 && this.deps.db.open) this.deps.db.prepare("DELETE FROM job_runs WHERE job = ? AND outcome = 'ok' AND id < ?").run(e.job.name, id);
      metrics.jobRuns.inc({ job: e.job.name, outcome: 'ok' });
    } catch (err) {
      log.error({ err, job: e.job.name }, 'job failed');
      this.finish(id, Math.round(performance.now() - t0), 'error', err instanceof Error ? err.message : String(err));
      metrics.jobRuns.inc({ job: e.job.name, outcome: 'error' });
    } finally {
      this.saveNextDue(e);
    }
  }

  private record(job: string, at: number, durationMs: number | null, outcome: JobRun['outcome'], detail: string | null): number {
    try {
      return Number(
        this.deps.db
          .prepare('INSERT INTO job_runs (job, started_at, duration_ms, outcome, detail) VALUES (?, ?, ?, ?, ?)')
          .run(job, at, durationMs, outcome, detail).lastInsertRowid,
      );
    } catch (err) {
      this.deps.log.error({ err, job }, 'cannot record job run');
      return -1;
    }
  }

  private finish(id: number, durationMs: number, outcome: JobRun['outcome'], detail: string | null): void {
    if (id < 0 || !this.deps.db.open) return;
    this.deps.db.prepare('UPDATE job_runs SET duration_ms = ?, outcome = ?, detail = ? WHERE id = ?').run(durationMs, outcome, detail === null ? null : truncate(detail, 500), id);
  }

  private nextDue(job: string): number | undefined {
    const row = this.deps.db.prepare('SELECT next_due_at FROM job_state WHERE job = ?').get(job) as { next_due_at: number | null } | undefined;
    return row?.next_due_at ?? undefined;
  }

  private saveNextDue(e: Entry): void {
    if (!this.deps.db.open || !e.task) return;
    const next = e.task?.getNextRun()?.getTime() ?? null;
    this.deps.db
      .prepare('INSERT INTO job_state (job, next_due_at) VALUES (?, ?) ON CONFLICT(job) DO UPDATE SET next_due_at = excluded.next_due_at')
      .run(e.job.name, next);
  }

  /** The most recent run of each job (for /status). */
  lastRuns(): JobRun[] {
    const rows = this.deps.db
      .prepare(
        `SELECT job, started_at, duration_ms, outcome, detail FROM job_runs r
         WHERE id = (SELECT MAX(id) FROM job_runs WHERE job = r.job)`,
      )
      .all() as { job: string; started_at: number; duration_ms: number | null; outcome: JobRun['outcome']; detail: string | null }[];
    return rows.map((r) => ({ job: r.job, startedAt: r.started_at, durationMs: r.duration_ms, outcome: r.outcome, detail: r.detail }));
  }

  /** Stops every schedule and waits (bounded) for running jobs, which are asked to abort. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    for (const e of this.entries.values()) await e.task?.destroy();
    const running = [...this.entries.values()].map((e) => e.running).filter(Boolean);
    if (running.length === 0) return;
    this.abort.abort();
    await Promise.race([Promise.allSettled(running), new Promise((r) => setTimeout(r, timeoutMs).unref())]);
  }
}
