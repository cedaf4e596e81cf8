import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { projectRoot } from '../../src/core/paths.js';
import { Scheduler, type Job } from '../../src/core/scheduler.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { parseConfig } from '../../src/config.js';
import type { Services } from '../../src/core/services.js';

const config = (() => {
  const r = parseConfig({});
  if (!r.ok) throw new Error('config');
  return r.config;
})();

function setup(jobs: Job[], db?: Db) {
  db ??= openDatabase(join(mkdtempSync(join(tmpdir(), 'jarvis-sched-')), 'j.db'));
  migrate(db, readMigrations(join(projectRoot(), 'migrations')));
  const clock = new ManualClock(Date.now());
  const metrics = createMetrics({ defaults: false });
  const scheduler = new Scheduler({ db, clock, log: createLogger({ level: 'silent' }), metrics, config, services: () => ({}) as Services }, jobs);
  return { db, clock, scheduler, metrics };
}

const job = (name: string, run: Job['run'], missed: 'skip' | 'run-once' = 'run-once', cron = '0 3 * * *'): Job => ({
  name,
  description: name,
  schedule: () => ({ cron, missed }),
  run,
});

describe('Scheduler', () => {
  const stops: Scheduler[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s.stop(1000);
  });

  it('records each run with outcome and duration, and a failure without throwing', async () => {
    const { scheduler, metrics } = setup([job('good', async () => 'did 3 things'), job('bad', async () => Promise.reject(new Error('disk full')))]);
    stops.push(scheduler);
    scheduler.start();
    await scheduler.runNow('good');
    await scheduler.runNow('bad');
    const runs = Object.fromEntries(scheduler.lastRuns().map((r) => [r.job, r]));
    expect(runs.good).toMatchObject({ outcome: 'ok', detail: 'did 3 things' });
    expect(runs.bad).toMatchObject({ outcome: 'error', detail: 'disk full' });
    expect(runs.good!.durationMs).toBeGreaterThanOrEqual(0);
    expect(await metrics.registry.getSingleMetricAsString('jarvis_job_runs_total')).toContain('job="bad",outcome="error"} 1');
  });

  it('never runs one job twice at once', async () => {
    let running = 0;
    let maxRunning = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { scheduler, db } = setup([
      job('slow', async () => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await gate;
        running--;
      }),
    ]);
    stops.push(scheduler);
    scheduler.start();
    const a = scheduler.runNow('slow');
    const b = scheduler.runNow('slow');
    release();
    await Promise.all([a, b]);
    expect(maxRunning).toBe(1);
    expect((db.prepare('SELECT COUNT(*) AS n FROM job_runs').get() as { n: number }).n).toBe(1);
  });

  it('runs a missed run once at start with run-once, and records a skip with skip', async () => {
    let ranA = 0;
    let ranB = 0;
    const first = setup([job('a', async () => void ranA++, 'run-once'), job('b', async () => void ranB++, 'skip')]);
    first.scheduler.start();
    await first.scheduler.stop(1000);
    // The daemon was down past the next due time.
    first.db.prepare('UPDATE job_state SET next_due_at = ?').run(Date.now() - 60_000);
    const second = setup([job('a', async () => void ranA++, 'run-once'), job('b', async () => void ranB++, 'skip')], first.db);
    stops.push(second.scheduler);
    second.scheduler.start();
    await second.scheduler.runNow('a'); // joins the missed run if it is still going
    expect(ranA).toBe(1);
    expect(ranB).toBe(0);
    const b = second.scheduler.lastRuns().find((r) => r.job === 'b');
    expect(b).toMatchObject({ outcome: 'skipped', detail: 'missed while stopped' });
    const due = (second.db.prepare("SELECT next_due_at FROM job_state WHERE job = 'a'").get() as { next_due_at: number }).next_due_at;
    expect(due).toBeGreaterThan(Date.now());
  });

  it('marks a run cut off by a crash as interrupted at the next start', async () => {
    const { scheduler, db } = setup([job('a', async () => undefined)]);
    db.prepare("INSERT INTO job_runs (job, started_at, outcome) VALUES ('a', 1, 'running')").run();
    stops.push(scheduler);
    scheduler.start();
    expect(db.prepare("SELECT outcome, detail FROM job_runs WHERE started_at = 1").get()).toEqual({ outcome: 'error', detail: 'interrupted by a restart' });
  });

  it('runs nothing and records no due time where it was never started (jarvis chat)', async () => {
    let ran = 0;
    const { scheduler, db } = setup([job('a', async () => void ran++)]);
    await scheduler.runNow('a');
    expect(ran).toBe(0);
    expect(db.prepare('SELECT COUNT(*) AS n FROM job_state').get()).toEqual({ n: 0 });
  });

  it('refuses an invalid cron expression at start-up, naming the job', () => {
    expect(() => setup([job('x', async () => undefined, 'skip', 'every day')])).toThrow(/job x: "every day" is not a valid cron expression/);
  });

  it('asks a running job to abort on stop and does not wait past the bound', async () => {
    let aborted = false;
    const { scheduler } = setup([
      job('long', (_s, signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve())))),
    ]);
    scheduler.start();
    void scheduler.runNow('long');
    const t0 = Date.now();
    await scheduler.stop(2000);
    expect(aborted).toBe(true);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});
