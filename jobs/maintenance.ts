import type { Job } from '../src/core/scheduler.js';

/** Nightly upkeep: prune old records, let SQLite refresh its statistics, fold the WAL back. */
const maintenance: Job = {
  name: 'maintenance',
  description: 'PRAGMA optimize, WAL checkpoint, prune old audit entries, expired flows, job runs, stranger records, delivered notices, finished cluster actions and AI calls older than 400 days',
  schedule: (config) => config.jobs.maintenance,
  async run(s) {
    const day = 86_400_000;
    const audit = s.audit.prune(s.config.auditRetentionDays * day);
    const flows = s.flows.purgeExpired();
    const runs = s.db.prepare('DELETE FROM job_runs WHERE started_at < ? AND outcome != ?').run(s.clock.now() - 90 * day, 'running').changes;
    // Telegram keeps unconfirmed updates for 24 h; a week of ids is plenty to catch any redelivery.
    const updates = s.db.prepare('DELETE FROM inbound_ledger WHERE at < ?').run(s.clock.now() - 7 * day).changes;
    const inbox = s.db.prepare('DELETE FROM update_inbox WHERE received_at < ?').run(s.clock.now() - 2 * day).changes;
    const notices = s.notices.prune(30 * day);
    const cluster = s.cluster?.prune(s.clock.now() - 30 * day) ?? 0;
    // Budgets and /usage read this month; a year and a bit keeps last year's same month to compare.
    const llm = s.llm.d.ledger.prune(s.clock.now() - 400 * day);
    const denials = s.db.prepare('DELETE FROM stranger_denials WHERE last_reply_at < ?').run(s.clock.now() - 30 * day).changes;
    s.db.pragma('optimize');
    const [cp] = s.db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    return `pruned audit=${audit} flows=${flows} job_runs=${runs} updates=${updates} inbox=${inbox} denials=${denials} notices=${notices} cluster_actions=${cluster} llm_calls=${llm}; checkpoint busy=${cp?.busy ?? 0} pages=${cp?.checkpointed ?? 0}`;
  },
};

export default maintenance;
