import type { Handler } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';
import { bold, plain, type Span } from '../src/core/message.js';
import { formatTime } from '../src/core/render.js';

const MAX = 100;

const audit: Handler = {
  name: 'audit',
  priority: 220,
  commands: [{ name: 'audit', description: 'The latest audit log entries', role: 'admin', effect: 'read', usage: '[n]' }],
  async handle(ctx, next) {
    if (ctx.command?.name !== 'audit') return next();
    const arg = ctx.command.args;
    const n = arg === '' ? 10 : Number(arg);
    if (!Number.isInteger(n) || n < 1 || n > MAX) throw new UserError(`Usage: /audit [n], n from 1 to ${MAX}`);
    const entries = ctx.services.audit.recent(n);
    if (entries.length === 0) {
      await ctx.reply('The audit log is empty.');
      return;
    }
    const spans: Span[] = [bold(`Last ${entries.length} audit entries`), plain('\n')];
    for (const e of entries) {
      spans.push(plain(`${formatTime(e.at)} ${e.actor} ${e.action}${e.target ? ` ${e.target}` : ''} → ${e.outcome}${e.detail ? ` (${e.detail})` : ''}\n`));
    }
    await ctx.reply(spans);
  },
};

export default audit;
