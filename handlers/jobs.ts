import type { Handler } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';
import { bold, plain, type Span } from '../src/core/message.js';
import { formatAgo, truncate } from '../src/core/render.js';

/** /jobs lists the schedules; /runjob runs one now (it changes the database, so lockdown refuses it). */
const jobs: Handler = {
  name: 'jobs',
  priority: 230,
  commands: [
    { name: 'jobs', description: 'Scheduled jobs and their last runs', role: 'admin', effect: 'read' },
    { name: 'runjob', description: 'Run a scheduled job now', role: 'admin', effect: 'act', usage: '<name>' },
  ],
  async handle(ctx, next) {
    const { scheduler, clock, audit } = ctx.services;
    if (ctx.command?.name === 'jobs') {
      const runs = new Map(scheduler.lastRuns().map((r) => [r.job, r]));
      const spans: Span[] = [bold('Jobs'), plain('\n')];
      for (const j of scheduler.jobs()) {
        const r = runs.get(j.name);
        spans.push(plain(`${j.name} (${j.cron}) — ${j.description}. Last: ${r ? `${r.outcome} ${formatAgo(r.startedAt, clock.now())}${r.detail ? `: ${r.detail}` : ''}` : 'never'}\n`));
      }
      await ctx.reply(spans);
      return;
    }
    if (ctx.command?.name !== 'runjob') return next();
    const name = ctx.command.args.trim();
    if (!scheduler.running) throw new UserError('Jobs run in the daemon (jarvis start), not in this process. Use /runjob there.');
    if (!scheduler.names().includes(name)) throw new UserError(`No job named "${truncate(name, 40)}". See /jobs.`);
    await ctx.reply(`Running ${name}…`);
    await scheduler.runNow(name, `by ${ctx.key}`);
    const last = scheduler.lastRuns().find((r) => r.job === name);
    audit.record({ actor: ctx.key, action: 'runjob', target: name, outcome: last?.outcome ?? 'unknown' });
    await ctx.reply(last ? `${name}: ${last.outcome}${last.durationMs !== null ? ` in ${last.durationMs} ms` : ''}${last.detail ? ` — ${last.detail}` : ''}` : `${name} did not run.`);
  },
};

export default jobs;
